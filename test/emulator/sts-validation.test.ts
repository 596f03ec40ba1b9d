import { sts } from 'tencentcloud-sdk-nodejs-sts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  startTestEmulator,
  TEST_BUCKET,
  TEST_REGION,
  TEST_SECRET_ID,
  TEST_SECRET_KEY,
  type TestEmulator,
} from '../helpers/cos-emulator.ts';

/**
 * What the emulator's STS refuses at issue time, through the official Tencent STS client: a Name
 * outside letters and hyphens, temporary credentials, another account's resources, conditions it
 * cannot enforce exactly.
 */

const RESOURCE = `qcs::cos:${TEST_REGION}:uid/1250000000:${TEST_BUCKET}/u/owner-1/file.bin`;
const policy = {
  version: '2.0',
  statement: [{ effect: 'allow', action: ['name/cos:PutObject'], resource: [RESOURCE] }],
};

let t: TestEmulator;
beforeAll(async () => {
  t = await startTestEmulator();
});
afterAll(() => t.close());

describe('STS GetFederationToken refusals', () => {
  it('Name is 2-32 letters or hyphens (1312/48195; qcloud-cos-sts-sdk sends cos-sts-nodejs), else InvalidParameter', async () => {
    const issue = (Name: string) =>
      t
        .stsClient()
        .GetFederationToken({ Name, Policy: encodeURIComponent(JSON.stringify(policy)) })
        .then(
          () => 'ok',
          (e: { code?: string }) => e.code,
        );
    for (const bad of ['a', 'upload_1', 'upload-1', 'x'.repeat(33), 'cos sts', 'nom-é', '1700000000abcdef'])
      expect(await issue(bad), bad).toBe('InvalidParameter');
    for (const good of ['cos-sts-nodejs', 'cos-upload-coordinator', 'ab', 'Z'.repeat(32)])
      expect(await issue(good), good).toBe('ok');
  });

  it('GetFederationToken refuses temporary credentials (X-TC-Token): only permanent keys may call it', async () => {
    const withToken = new sts.v20180813.Client({
      credential: { secretId: TEST_SECRET_ID, secretKey: TEST_SECRET_KEY, token: 'a-temporary-session-token' },
      region: TEST_REGION,
      profile: { httpProfile: { endpoint: `127.0.0.1:${t.emulator.port}`, protocol: 'http://' } },
    });
    const err = (await withToken
      .GetFederationToken({ Name: 'chained', Policy: encodeURIComponent(JSON.stringify(policy)) })
      .catch((e: unknown) => e)) as { code?: string };
    expect(err.code).toBe('AuthFailure.InvalidSecretId');
  });

  it('refuses a policy granting another APPID (InvalidParameter.GrantOtherResource); a wildcard APPID is this account', async () => {
    const issue = (resource: string) =>
      t
        .stsClient()
        .GetFederationToken({
          Name: 'grant',
          Policy: encodeURIComponent(
            JSON.stringify({
              version: '2.0',
              statement: [{ effect: 'allow', action: ['name/cos:GetObject'], resource: [RESOURCE, resource] }],
            }),
          ),
        })
        .then(
          () => 'ok',
          (e: { code?: string }) => e.code,
        );
    expect(await issue(`qcs::cos:${TEST_REGION}:uid/1250000001:${TEST_BUCKET}/*`)).toBe(
      'InvalidParameter.GrantOtherResource',
    );
    expect(await issue(`qcs::cos:${TEST_REGION}:uid/1250000000:prefix//1250000001/uploads/*`)).toBe(
      'InvalidParameter.GrantOtherResource',
    );
    expect(await issue(`qcs::cos:${TEST_REGION}:uid/*:${TEST_BUCKET}/*`)).toBe('ok');
    expect(await issue('*')).toBe('ok');
  });

  it('refuses at issue time an operator it cannot enforce and a string_like * in the middle', async () => {
    const issue = (condition: object) =>
      t
        .stsClient()
        .GetFederationToken({
          Name: 'conditions',
          Policy: encodeURIComponent(
            JSON.stringify({
              version: '2.0',
              statement: [{ effect: 'allow', action: ['name/cos:PutObject'], resource: [RESOURCE], condition }],
            }),
          ),
        })
        .then(
          () => 'ok',
          (e: { code?: string }) => e.code,
        );
    expect(await issue({ string_like: { 'cos:content-type': 'image/*' } })).toBe('ok');
    expect(await issue({ string_like: { 'cos:content-type': 'image/*+xml' } })).toBe(
      'InvalidParameter.PolicyFormatError',
    );
    expect(await issue({ date_greater_than: { 'qcs:current_time': '2030-01-01T00:00:00Z' } })).toBe(
      'InvalidParameter.PolicyFormatError',
    );
  });
});
