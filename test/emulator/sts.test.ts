import { randomBytes } from 'node:crypto';
import COS from 'cos-nodejs-sdk-v5';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  listParams,
  sdkError,
  signedFetch,
  startTestEmulator,
  TEST_BUCKET,
  TEST_REGION,
  type TestEmulator,
} from '../helpers/cos-emulator.ts';

/**
 * Temporary keys: issued by the emulator's STS through the official Tencent STS client, then used
 * by the official COS SDK. The policy must be enforced exactly: one key, listed actions, size cap.
 */

const KEY = 'u/owner-1/upload-1/file.bin';
const nowSeconds = () => Math.floor(Date.now() / 1000);
const RESOURCE = `qcs::cos:${TEST_REGION}:uid/1250000000:${TEST_BUCKET}/${KEY}`;
const PART_CAP = 1024 * 1024;
const policy = {
  version: '2.0',
  statement: [
    {
      effect: 'allow',
      action: ['name/cos:InitiateMultipartUpload', 'name/cos:ListParts', 'name/cos:HeadObject'],
      resource: [RESOURCE],
    },
    {
      effect: 'allow',
      action: ['name/cos:UploadPart', 'name/cos:PutObject'],
      resource: [RESOURCE],
      condition: { numeric_less_than_equal: { 'cos:content-length': PART_CAP } },
    },
  ],
};

interface Creds {
  TmpSecretId: string;
  TmpSecretKey: string;
  Token: string;
  ExpiredTime: number;
  StartTime: number;
}

let t: TestEmulator;
let creds: Creds;
beforeAll(async () => {
  t = await startTestEmulator();
  const res = await t.stsClient().GetFederationToken({
    Name: 'upload-test',
    Policy: encodeURIComponent(JSON.stringify(policy)),
    DurationSeconds: 1800,
  });
  creds = {
    ...(res.Credentials as { TmpSecretId: string; TmpSecretKey: string; Token: string }),
    ExpiredTime: res.ExpiredTime!,
    StartTime: nowSeconds(),
  };
});
afterAll(() => t.close());

/** The COS SDK as a mobile app uses it: temporary keys handed over by getAuthorization. */
function tempCos(c: Creds = creds): COS {
  return new COS({
    Protocol: 'http',
    Domain: `127.0.0.1:${t.emulator.port}`,
    getAuthorization: (_opts, cb) =>
      cb({
        TmpSecretId: c.TmpSecretId,
        TmpSecretKey: c.TmpSecretKey,
        SecurityToken: c.Token,
        StartTime: c.StartTime,
        ExpiredTime: c.ExpiredTime,
      }),
  });
}

describe('STS GetFederationToken via tencentcloud-sdk-nodejs-sts', () => {
  it('answers with credentials and expiry in the Tencent shape', async () => {
    expect(creds.TmpSecretId).toMatch(/^AKID/);
    expect(creds.TmpSecretKey.length).toBeGreaterThanOrEqual(32);
    expect(creds.Token.length).toBeGreaterThan(40);
    const now = Math.floor(Date.now() / 1000);
    expect(creds.ExpiredTime).toBeGreaterThanOrEqual(now + 1790);
    expect(creds.ExpiredTime).toBeLessThanOrEqual(now + 1810);
  });

  it('refuses a client signing with the wrong secret key (HTTP 200 + Response.Error)', async () => {
    const err = (await t
      .stsClient('not-the-key')
      .GetFederationToken({ Name: 'wrong-key', Policy: encodeURIComponent(JSON.stringify(policy)) })
      .catch((e: unknown) => e)) as { code?: string };
    expect(err.code).toBe('AuthFailure.SignatureFailure');
  });

  it('refuses a malformed policy and a duration over the limit', async () => {
    const bad = (await t
      .stsClient()
      .GetFederationToken({ Name: 'bad-policy', Policy: encodeURIComponent('{"version":"2.0"}') })
      .catch((e: unknown) => e)) as { code?: string };
    expect(bad.code).toBe('InvalidParameter.PolicyFormatError');
    const long = (await t
      .stsClient()
      .GetFederationToken({
        Name: 'too-long',
        Policy: encodeURIComponent(JSON.stringify(policy)),
        DurationSeconds: 7201,
      })
      .catch((e: unknown) => e)) as { code?: string };
    expect(long.code).toBe('InvalidParameterValue');
  });

  it('AssumeRole issues keys held to the passed policy', async () => {
    const res = await t.stsClient().AssumeRole({
      RoleArn: 'qcs::cam::uin/100000000001:roleName/uploader',
      RoleSessionName: 's1',
      Policy: encodeURIComponent(JSON.stringify(policy)),
    });
    const c = { ...(res.Credentials as Creds), ExpiredTime: res.ExpiredTime!, StartTime: nowSeconds() };
    const cos = tempCos(c);
    await cos.putObject({ ...t.target, Key: KEY, Body: Buffer.from('via role') });
    expect((await sdkError(cos.getObject({ ...t.target, Key: KEY }))).code).toBe('AccessDenied');
  });
});

describe('COS requests with temporary keys', () => {
  it('allows the listed actions on the one key', async () => {
    const cos = tempCos();
    const put = await cos.putObject({ ...t.target, Key: KEY, Body: Buffer.from('single put') });
    expect(put.statusCode).toBe(200);
    expect((await cos.headObject({ ...t.target, Key: KEY })).statusCode).toBe(200);
    const { UploadId } = await cos.multipartInit({ ...t.target, Key: KEY });
    const part = await cos.multipartUpload({
      ...t.target,
      Key: KEY,
      UploadId,
      PartNumber: 1,
      Body: randomBytes(PART_CAP),
    });
    expect(part.ETag).toMatch(/^"[0-9a-f]{32}"$/);
    const list = await cos.multipartListPart({ ...t.target, Key: KEY, UploadId });
    expect(list.Part.map((p) => p.ETag)).toEqual([part.ETag]);
  });

  it('denies another key, a disallowed action and a part over the size condition', async () => {
    const cos = tempCos();
    const other = await sdkError(
      cos.putObject({ ...t.target, Key: 'u/owner-2/upload-9/file.bin', Body: Buffer.from('x') }),
    );
    expect([other.statusCode, other.code]).toEqual([403, 'AccessDenied']);
    const prefixTrick = await sdkError(cos.putObject({ ...t.target, Key: `${KEY}.evil`, Body: Buffer.from('x') }));
    expect(prefixTrick.code).toBe('AccessDenied');

    const { UploadId } = await t.cos().multipartInit({ ...t.target, Key: KEY });
    for (const call of [
      cos.getObject({ ...t.target, Key: KEY }),
      cos.deleteObject({ ...t.target, Key: KEY }),
      cos.multipartAbort({ ...t.target, Key: KEY, UploadId }),
      cos.multipartComplete({ ...t.target, Key: KEY, UploadId, Parts: [{ PartNumber: 1, ETag: '"x"' }] }),
      cos.multipartList(listParams({ ...t.target, Prefix: 'u/' })),
    ]) {
      const err = await sdkError(call);
      expect([err.statusCode, err.code]).toEqual([403, 'AccessDenied']);
    }

    const big = await sdkError(
      cos.multipartUpload({ ...t.target, Key: KEY, UploadId, PartNumber: 1, Body: randomBytes(PART_CAP + 1) }),
    );
    expect([big.statusCode, big.code]).toEqual([403, 'AccessDenied']);
  });

  it('rejects a tampered token and a token whose key does not match', async () => {
    const flip = creds.Token.at(-1) === 'A' ? 'B' : 'A';
    const tampered = await sdkError(
      tempCos({ ...creds, Token: creds.Token.slice(0, -1) + flip }).putObject({ ...t.target, Key: KEY, Body: 'x' }),
    );
    expect([tampered.statusCode, tampered.code]).toEqual([403, 'InvalidAccessKeyId']);
    const res = await signedFetch(t.emulator, { method: 'HEAD', key: KEY, token: creds.Token });
    expect(res.status).toBe(403); // signed with the account key, not the token's temporary key
  });

  it('enforces ip_equal on qcs:ip: the emulator sees loopback peers', async () => {
    const keysFor = async (cidr: string) => {
      const res = await t.stsClient().GetFederationToken({
        Name: 'by-ip',
        Policy: encodeURIComponent(
          JSON.stringify({
            version: '2.0',
            statement: [
              {
                effect: 'allow',
                action: ['name/cos:HeadObject'],
                resource: [RESOURCE],
                condition: { ip_equal: { 'qcs:ip': cidr } },
              },
            ],
          }),
        ),
      });
      return tempCos({ ...(res.Credentials as Creds), ExpiredTime: res.ExpiredTime!, StartTime: nowSeconds() });
    };
    await t.cos().putObject({ ...t.target, Key: KEY, Body: Buffer.from('ip') });
    expect((await (await keysFor('127.0.0.0/8')).headObject({ ...t.target, Key: KEY })).statusCode).toBe(200);
    const denied = await sdkError((await keysFor('10.0.0.0/8')).headObject({ ...t.target, Key: KEY }));
    expect(denied.statusCode).toBe(403);
  });

  it('rejects an expired token', async () => {
    t.clock.offsetMs = 1801_000;
    try {
      const err = await sdkError(tempCos().headObject({ ...t.target, Key: KEY }));
      expect(err.statusCode).toBe(403);
      const put = await sdkError(tempCos().putObject({ ...t.target, Key: KEY, Body: Buffer.from('late') }));
      expect([put.statusCode, put.code]).toEqual([403, 'AccessDenied']);
    } finally {
      t.clock.offsetMs = 0;
    }
  });
});
