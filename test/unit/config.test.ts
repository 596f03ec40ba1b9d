import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../shared/config.ts';

const base = { COS_SECRET_ID: 'AKIDx', COS_SECRET_KEY: 'secret', AUTH_JWT_SECRET: 'a-development-secret-0123' };
const refusal = (env: Record<string, string>) => {
  try {
    parseConfig({ ...base, ...env });
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as Error).message;
  }
  throw new Error('configuration was accepted');
};

describe('start-up refusals (docs/API.md, Configuration)', () => {
  it('AUTH_MAX_TOKEN_AGE_SECONDS: unset by default, a positive whole number of seconds when set', () => {
    expect(parseConfig(base).AUTH_MAX_TOKEN_AGE_SECONDS).toBeUndefined();
    expect(parseConfig({ ...base, AUTH_MAX_TOKEN_AGE_SECONDS: '' }).AUTH_MAX_TOKEN_AGE_SECONDS).toBeUndefined();
    expect(parseConfig({ ...base, AUTH_MAX_TOKEN_AGE_SECONDS: '3600' }).AUTH_MAX_TOKEN_AGE_SECONDS).toBe(3600);
    for (const bad of ['0', '-5', '1.5', 'soon', '99999999999'])
      expect(refusal({ AUTH_MAX_TOKEN_AGE_SECONDS: bad })).toMatch(/AUTH_MAX_TOKEN_AGE_SECONDS/);
  });

  it('COS_SESSION_TOKEN without STS_ROLE_ARN: GetFederationToken takes permanent keys only', () => {
    expect(refusal({ COS_SESSION_TOKEN: 'tok' })).toMatch(/COS_SESSION_TOKEN: .*STS_ROLE_ARN/);
    const c = parseConfig({ ...base, COS_SESSION_TOKEN: 'tok', STS_ROLE_ARN: 'qcs::cam::uin/1:roleName/up' });
    expect(c.COS_SESSION_TOKEN).toBe('tok');
  });

  it('a path-style COS_ENDPOINT on a non-loopback host; loopback and virtual-hosted are fine', () => {
    expect(refusal({ COS_ENDPOINT: 'https://cos.ap-guangzhou.myqcloud.com/uploads-1250000000' })).toMatch(
      /COS_ENDPOINT: a path-style endpoint/,
    );
    for (const ok of [
      'https://uploads-1250000000.cos.ap-guangzhou.myqcloud.com',
      'https://uploads-1250000000.cos.ap-guangzhou.myqcloud.com/',
      'http://127.0.0.1:8788/uploads-1250000000',
      'http://localhost:8788/uploads-1250000000',
      'http://[::1]:8788/uploads-1250000000',
    ]) {
      expect(parseConfig({ ...base, COS_ENDPOINT: ok }).COS_ENDPOINT).toBe(ok);
    }
  });

  it('COMPLETE_WAIT_SECONDS stays well inside API Gateway 30 s; COMPLETE_GRACE_SECONDS at least a minute', () => {
    expect(parseConfig(base)).toMatchObject({ COMPLETE_WAIT_SECONDS: 8, COMPLETE_GRACE_SECONDS: 3600 });
    expect(refusal({ COMPLETE_WAIT_SECONDS: '29' })).toMatch(/COMPLETE_WAIT_SECONDS/);
    expect(refusal({ COMPLETE_GRACE_SECONDS: '5' })).toMatch(/COMPLETE_GRACE_SECONDS/);
    expect(parseConfig({ ...base, COMPLETE_WAIT_SECONDS: '0' }).COMPLETE_WAIT_SECONDS).toBe(0);
  });

  it('ALLOWED_STORAGE_CLASSES: COS names only (STANDARD by default); a typo or an empty list stops start-up', () => {
    expect(parseConfig(base).ALLOWED_STORAGE_CLASSES).toEqual(['STANDARD']);
    expect(
      parseConfig({ ...base, ALLOWED_STORAGE_CLASSES: 'STANDARD_IA, ARCHIVE,STANDARD_IA' }).ALLOWED_STORAGE_CLASSES,
    ).toEqual(['STANDARD_IA', 'ARCHIVE']);
    expect(refusal({ ALLOWED_STORAGE_CLASSES: 'STANDARD,GLACIER' })).toMatch(/ALLOWED_STORAGE_CLASSES: .*GLACIER/);
    expect(refusal({ ALLOWED_STORAGE_CLASSES: 'standard' })).toMatch(/ALLOWED_STORAGE_CLASSES/);
    expect(refusal({ ALLOWED_STORAGE_CLASSES: ' , ' })).toMatch(/ALLOWED_STORAGE_CLASSES/);
  });

  it("TRAFFIC_LIMIT_BPS: unset by default, else whole bits/s in COS's 819200-838860800", () => {
    expect(parseConfig(base).TRAFFIC_LIMIT_BPS).toBeUndefined();
    expect(parseConfig({ ...base, TRAFFIC_LIMIT_BPS: '8388608' }).TRAFFIC_LIMIT_BPS).toBe(8_388_608);
    for (const bad of ['819199', '838860801', '8M', '1000000.5'])
      expect(refusal({ TRAFFIC_LIMIT_BPS: bad }), bad).toMatch(/TRAFFIC_LIMIT_BPS/);
  });
});
