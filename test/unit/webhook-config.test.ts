import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig, recordedEvents } from '../../shared/config.ts';

const base = { COS_SECRET_ID: 'AKIDx', COS_SECRET_KEY: 'secret', AUTH_JWT_SECRET: 'a-development-secret-0123' };
const SECRET = 'whsec_' + Buffer.from('0123456789abcdef0123').toString('base64');
const refusal = (env: Record<string, string>) => {
  try {
    parseConfig({ ...base, ...env });
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as Error).message;
  }
  throw new Error('configuration was accepted');
};

describe('WEBHOOK_* (docs/API.md, Configuration)', () => {
  it('defaults: no URL, so nothing is recorded; completed+aborted+expired, 86400 s, 5 s', () => {
    const c = parseConfig(base);
    expect(c).toMatchObject({ WEBHOOK_MAX_AGE_SECONDS: 86_400, WEBHOOK_RETRY_BASE_SECONDS: 5 });
    expect(c.WEBHOOK_URL).toBeUndefined();
    expect(c.WEBHOOK_EVENTS).toEqual(['upload.completed', 'upload.aborted', 'upload.expired']);
    expect(recordedEvents(c)).toEqual([]);
    const on = parseConfig({ ...base, WEBHOOK_URL: 'https://hooks.example.com/in', WEBHOOK_SECRET: SECRET });
    expect(recordedEvents(on)).toEqual(['upload.completed', 'upload.aborted', 'upload.expired']);
  });

  it('WEBHOOK_URL must be https, except on a loopback host', () => {
    for (const ok of [
      'https://hooks.example.com/in',
      'http://127.0.0.1:9000/h',
      'http://localhost/h',
      'http://[::1]:1/h',
    ]) {
      expect(parseConfig({ ...base, WEBHOOK_URL: ok, WEBHOOK_SECRET: SECRET }).WEBHOOK_URL).toBe(ok);
    }
    for (const bad of ['http://hooks.example.com/in', 'http://10.0.0.1/h', 'ftp://127.0.0.1/h', 'not a url']) {
      expect(refusal({ WEBHOOK_URL: bad, WEBHOOK_SECRET: SECRET })).toMatch(/WEBHOOK_URL/);
    }
  });

  it('WEBHOOK_SECRET is required with WEBHOOK_URL and must be whsec_ + base64 of at least 16 bytes', () => {
    expect(refusal({ WEBHOOK_URL: 'https://h.example.com/' })).toMatch(/WEBHOOK_SECRET: is required with WEBHOOK_URL/);
    for (const bad of [
      'secret',
      Buffer.from('0123456789abcdef').toString('base64'),
      'whsec_',
      'whsec_not base64!',
      'whsec_' + Buffer.from('short').toString('base64'),
      'whsec_QUJD', // 3 bytes
    ]) {
      expect(refusal({ WEBHOOK_URL: 'https://h.example.com/', WEBHOOK_SECRET: bad }), bad).toMatch(/WEBHOOK_SECRET/);
    }
  });

  it('WEBHOOK_EVENTS is a comma list of known event types', () => {
    const c = parseConfig({ ...base, WEBHOOK_EVENTS: 'upload.created, upload.completed' });
    expect(c.WEBHOOK_EVENTS).toEqual(['upload.created', 'upload.completed']);
    for (const bad of ['upload.finished', 'upload.completed,,upload.aborted', 'completed', ' , ']) {
      expect(refusal({ WEBHOOK_EVENTS: bad }), bad).toMatch(/WEBHOOK_EVENTS/);
    }
  });

  it('WEBHOOK_MAX_AGE_SECONDS and WEBHOOK_RETRY_BASE_SECONDS are bounded whole seconds', () => {
    expect(parseConfig({ ...base, WEBHOOK_MAX_AGE_SECONDS: '3600', WEBHOOK_RETRY_BASE_SECONDS: '1' })).toMatchObject({
      WEBHOOK_MAX_AGE_SECONDS: 3600,
      WEBHOOK_RETRY_BASE_SECONDS: 1,
    });
    for (const bad of ['0', '59', '1.5', '604801', 'day'])
      expect(refusal({ WEBHOOK_MAX_AGE_SECONDS: bad })).toMatch(/WEBHOOK_MAX_AGE_SECONDS/);
    for (const bad of ['0', '0.5', '3601'])
      expect(refusal({ WEBHOOK_RETRY_BASE_SECONDS: bad })).toMatch(/WEBHOOK_RETRY_BASE_SECONDS/);
  });
});
