import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { isUploadError } from '../../shared/errors.ts';
import type { CredentialIssuer, TemporaryCredentials } from '../../shared/ports.ts';
import { cachingIssuer } from '../../shared/sts/caching-issuer.ts';
import { temporaryKeyGrant } from '../../shared/core/temporary-key-grant.ts';
import { camPolicy } from '../../shared/sts/policy.ts';
import { type StsApi, stsEndpoint, tencentStsIssuer } from '../../shared/sts/tencent-sts-issuer.ts';
import {
  startTestEmulator,
  TEST_REGION,
  TEST_SECRET_ID,
  TEST_SECRET_KEY,
  type TestEmulator,
} from '../helpers/cos-emulator.ts';

const T0 = 1_800_000_000_000;
const grantFor = (key: string) =>
  temporaryKeyGrant({ bucket: 'uploads-1250000000', region: 'ap-guangzhou', key, partSize: 1 << 20 });
const req = (key = 'u/a/upl_1/a.bin', name = 'upl_1') => ({ name, grant: grantFor(key), durationSeconds: 1800 });

/** An issuer that counts calls and hands out numbered credentials valid for `durationSeconds` from `now`. */
function countingIssuer(now: () => number) {
  let calls = 0;
  let fail: Error | null = null;
  let gate: Promise<void> = Promise.resolve();
  const inner: CredentialIssuer = {
    async issue(r) {
      calls++;
      await gate;
      if (fail) throw fail;
      const start = Math.floor(now() / 1000);
      return {
        tmpSecretId: `id-${calls}`,
        tmpSecretKey: `key-${calls}`,
        sessionToken: `tok-${calls}`,
        startTime: start,
        expiredTime: start + r.durationSeconds,
        expiration: '',
      };
    },
  };
  return {
    inner,
    get calls() {
      return calls;
    },
    failWith(e: Error | null) {
      fail = e;
    },
    hold() {
      let open!: () => void;
      gate = new Promise((r) => {
        open = r;
      });
      return () => open();
    },
  };
}

describe('cachingIssuer', () => {
  it('returns the same credentials while more than 5 minutes remain, then refreshes', async () => {
    let now = T0;
    const inner = countingIssuer(() => now);
    const issuer = cachingIssuer(inner.inner, { now: () => now });
    const first = await issuer.issue(req());
    now += 1000;
    expect(await issuer.issue(req())).toBe(first);
    now = T0 + (1800 - 301) * 1000; // 301 s left
    expect(await issuer.issue(req())).toBe(first);
    expect(inner.calls).toBe(1);
    now = T0 + (1800 - 300) * 1000; // exactly 5 minutes left: no longer worth handing out
    const second = await issuer.issue(req());
    expect(second.tmpSecretId).toBe('id-2');
    expect(await issuer.issue(req())).toBe(second);
    expect(inner.calls).toBe(2);
  });

  it('keys on name, duration and grant (so another key or grant never gets these credentials)', async () => {
    const inner = countingIssuer(() => T0);
    const issuer = cachingIssuer(inner.inner, { now: () => T0 });
    await issuer.issue(req('u/a/upl_1/a.bin', 'upl_1'));
    await issuer.issue(req('u/a/upl_1/b.bin', 'upl_1'));
    await issuer.issue(req('u/a/upl_1/a.bin', 'upl_2'));
    await issuer.issue({ ...req(), durationSeconds: 900 });
    expect(inner.calls).toBe(4);
    await issuer.issue(req());
    expect(inner.calls).toBe(4);
  });

  it('shares one call between concurrent identical requests, failure included, and never caches a failure', async () => {
    const inner = countingIssuer(() => T0);
    const issuer = cachingIssuer(inner.inner, { now: () => T0 });
    const release = inner.hold();
    inner.failWith(new Error('sts down'));
    const both = Promise.allSettled([issuer.issue(req()), issuer.issue(req())]);
    release();
    const [a, b] = await both;
    expect(a.status).toBe('rejected');
    expect(b.status).toBe('rejected');
    expect(inner.calls).toBe(1);
    inner.failWith(null);
    const ok = await Promise.all([issuer.issue(req()), issuer.issue(req())]);
    expect(ok[0]).toBe(ok[1]);
    expect(inner.calls).toBe(2);
  });

  it('is bounded: the least recently used entry goes first', async () => {
    const inner = countingIssuer(() => T0);
    const issuer = cachingIssuer(inner.inner, { now: () => T0, maxEntries: 2 });
    await issuer.issue(req('k/1'));
    await issuer.issue(req('k/2'));
    await issuer.issue(req('k/1')); // k/1 is now the most recent
    await issuer.issue(req('k/3')); // evicts k/2
    expect(issuer.size).toBe(2);
    expect(inner.calls).toBe(3);
    await issuer.issue(req('k/1'));
    expect(inner.calls).toBe(3);
    await issuer.issue(req('k/2'));
    expect(inner.calls).toBe(4);
  });
});

const sdkError = (fields: { code?: string; httpCode?: number }) =>
  Object.assign(new Error('upstream said no: Policy=secret-looking-input'), { requestId: 'req-1', ...fields });
const goodAnswer = (expiredTime = 1_800_001_800) => ({
  Credentials: { Token: 'TOKEN-SECRET', TmpSecretId: 'AKIDtmp', TmpSecretKey: 'TMP-SECRET-KEY' },
  ExpiredTime: expiredTime,
  Expiration: '2027-01-15T08:30:00Z',
  RequestId: 'r',
});

/** A client that fails with the queued errors, then answers. */
function scriptedClient(errors: Error[], answer: unknown = goodAnswer()) {
  const seen: { action: string; params: Record<string, unknown> }[] = [];
  const step = async (action: string, params: Record<string, unknown>) => {
    seen.push({ action, params });
    const e = errors.shift();
    if (e) throw e;
    return answer;
  };
  const client: StsApi = {
    GetFederationToken: (p) => step('GetFederationToken', p),
    AssumeRole: (p) => step('AssumeRole', p),
  };
  return { client, seen };
}

const issuerWith = (client: StsApi, extra: Partial<Parameters<typeof tencentStsIssuer>[0]> = {}) => {
  const logs: Record<string, unknown>[] = [];
  const sleeps: number[] = [];
  const issuer = tencentStsIssuer({
    secretId: 'AKIDserver',
    secretKey: 'SERVER-SECRET',
    endpoint: 'sts.tencentcloudapi.com',
    region: 'ap-guangzhou',
    client,
    now: () => T0,
    random: () => 0.5,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    log: (f) => logs.push(f),
    ...extra,
  });
  return { issuer, logs, sleeps };
};

describe('tencentStsIssuer (injected client)', () => {
  it('calls GetFederationToken with a letters-and-hyphens Name, the URL-encoded policy and the duration, and maps the answer', async () => {
    const { client, seen } = scriptedClient([]);
    const { issuer } = issuerWith(client);
    const r = req('u/a/upl_abc/my file.bin', 'upl_abc');
    const c = await issuer.issue(r);
    expect(seen).toEqual([
      {
        action: 'GetFederationToken',
        params: {
          Name: 'cos-upload-coordinator',
          Policy: encodeURIComponent(JSON.stringify(camPolicy(r.grant))),
          DurationSeconds: 1800,
        },
      },
    ]);
    expect(c).toEqual<TemporaryCredentials>({
      tmpSecretId: 'AKIDtmp',
      tmpSecretKey: 'TMP-SECRET-KEY',
      sessionToken: 'TOKEN-SECRET',
      startTime: T0 / 1000,
      expiredTime: 1_800_001_800,
      expiration: '2027-01-15T08:30:00Z',
    });
  });

  it('never stamps startTime after STS own issue time (a clock running ahead)', async () => {
    const { client } = scriptedClient([], goodAnswer(T0 / 1000 + 1800 - 30)); // STS is 30 s behind us
    const c = await issuerWith(client).issuer.issue(req());
    expect(c.startTime).toBe(T0 / 1000 - 30);
  });

  it('uses AssumeRole when a role is configured, with a legal session name', async () => {
    const { client, seen } = scriptedClient([]);
    const { issuer } = issuerWith(client, { roleArn: 'qcs::cam::uin/100000000001:roleName/uploader' });
    await issuer.issue(req('u/a/b', 'upl 1/é'));
    expect(seen[0]).toMatchObject({
      action: 'AssumeRole',
      params: {
        RoleArn: 'qcs::cam::uin/100000000001:roleName/uploader',
        RoleSessionName: 'upl-1--',
        DurationSeconds: 1800,
      },
    });
    expect(seen[0]!.params.Policy).toBe(encodeURIComponent(JSON.stringify(camPolicy(req('u/a/b').grant))));
  });

  it.each([
    ['throttling', { code: 'RequestLimitExceeded' }],
    ['per-uin throttling', { code: 'RequestLimitExceeded.UinLimitExceeded' }],
    ['InternalError', { code: 'InternalError' }],
    ['HTTP 503', { httpCode: 503 }],
    ['HTTP 429', { httpCode: 429 }],
    ['a network failure', {}],
  ])('retries %s with growing backoff, then succeeds', async (_what, fields) => {
    const { client, seen } = scriptedClient([sdkError(fields), sdkError(fields)]);
    const { issuer, sleeps, logs } = issuerWith(client);
    expect((await issuer.issue(req())).tmpSecretId).toBe('AKIDtmp');
    expect(seen).toHaveLength(3);
    expect(sleeps).toEqual([100, 200]); // full jitter at 0.5 of 200·2^(n-1)
    expect(logs.map((l) => l.attempt)).toEqual([1, 2]);
  });

  it('gives up after the last attempt with 503 STORAGE_UNAVAILABLE', async () => {
    const { client, seen } = scriptedClient([0, 1, 2, 3].map(() => sdkError({ code: 'InternalError' })));
    const err = await issuerWith(client)
      .issuer.issue(req())
      .catch((e: unknown) => e);
    expect(seen).toHaveLength(3);
    expect(isUploadError(err) && [err.status, err.code]).toEqual([503, 'STORAGE_UNAVAILABLE']);
  });

  it.each([
    ['an auth failure', 'AuthFailure.SignatureFailure'],
    ['a bad parameter', 'InvalidParameter.PolicyFormatError'],
    ['a missing permission', 'UnauthorizedOperation'],
  ])('does not retry %s: 502 STORAGE_UNAVAILABLE at once', async (_what, code) => {
    const { client, seen } = scriptedClient([sdkError({ code })]);
    const err = await issuerWith(client)
      .issuer.issue(req())
      .catch((e: unknown) => e);
    expect(seen).toHaveLength(1);
    expect(isUploadError(err) && [err.status, err.code]).toEqual([502, 'STORAGE_UNAVAILABLE']);
  });

  it('refuses an answer without credentials, and no secret reaches the error or the logs', async () => {
    const half = { Credentials: { Token: 'TOKEN-SECRET', TmpSecretId: 'AKIDtmp' }, ExpiredTime: 1 };
    const { client } = scriptedClient([sdkError({ code: 'InternalError' })], half);
    const { issuer, logs } = issuerWith(client);
    const err = await issuer.issue(req()).catch((e: unknown) => e);
    expect(isUploadError(err) && err.status).toBe(502);
    const text = JSON.stringify({ err, message: (err as Error).message, logs });
    for (const secret of ['TOKEN-SECRET', 'SERVER-SECRET', 'secret-looking-input']) expect(text).not.toContain(secret);
    expect(logs[0]).toMatchObject({ code: 'InternalError', requestId: 'req-1' });
  });
});

describe('stsEndpoint', () => {
  it.each([
    ['127.0.0.1:8788', 'http://', '127.0.0.1:8788'],
    ['localhost:9000', 'http://', 'localhost:9000'],
    ['sts.tencentcloudapi.com', 'https://', 'sts.tencentcloudapi.com'],
    ['sts.ap-guangzhou.tencentcloudapi.com', 'https://', 'sts.ap-guangzhou.tencentcloudapi.com'],
    ['https://sts.internal.example:8443/', 'https://', 'sts.internal.example:8443'],
    ['http://10.0.0.5:8080', 'http://', '10.0.0.5:8080'],
  ])('%s → %s%s', (endpoint, protocol, host) => {
    expect(stsEndpoint(endpoint)).toEqual({ host, protocol });
  });
});

describe('tencentStsIssuer against the emulator (the real SDK over loopback)', () => {
  let t: TestEmulator;
  beforeAll(async () => {
    t = await startTestEmulator();
  });
  afterAll(() => t.close());
  afterEach(() => t.emulator.faults.clear());

  const real = (secretKey = TEST_SECRET_KEY) => {
    const logs: Record<string, unknown>[] = [];
    const issuer = tencentStsIssuer({
      secretId: TEST_SECRET_ID,
      secretKey,
      endpoint: `127.0.0.1:${t.emulator.port}`,
      region: TEST_REGION,
      retry: { baseDelayMs: 1, maxDelayMs: 5 },
      log: (f) => logs.push(f),
    });
    return { issuer, logs };
  };

  it('issues working credentials whose expiry matches the requested duration', async () => {
    const { issuer } = real();
    const c = await issuer.issue(req());
    expect(c.tmpSecretId).toMatch(/^AKID/);
    expect(c.expiredTime - c.startTime).toBeGreaterThanOrEqual(1799);
    expect(c.expiredTime - c.startTime).toBeLessThanOrEqual(1801);
    expect(new Date(c.expiration).getTime()).toBe(c.expiredTime * 1000);
  });

  it('rides out injected 503 and 500 answers, then gives up with 503 when they persist', async () => {
    const { issuer, logs } = real();
    t.emulator.faults.add({ op: 'GetFederationToken', action: { type: 'error', status: 503 } });
    t.emulator.faults.add({ op: 'GetFederationToken', action: { type: 'error', code: 'InternalError' } });
    expect((await issuer.issue(req())).tmpSecretId).toMatch(/^AKID/);
    expect(logs.map((l) => l.code)).toEqual(['Http503', 'Http500']);

    t.emulator.faults.add({ op: 'GetFederationToken', count: 3, action: { type: 'error', status: 503 } });
    const err = await issuer.issue(req()).catch((e: unknown) => e);
    expect(isUploadError(err) && [err.status, err.code]).toEqual([503, 'STORAGE_UNAVAILABLE']);
  });

  it('a wrong server key is an auth failure: no retry, 502', async () => {
    const { issuer, logs } = real('not-the-secret-key-000000000000');
    const err = await issuer.issue(req()).catch((e: unknown) => e);
    expect(isUploadError(err) && [err.status, err.code]).toEqual([502, 'STORAGE_UNAVAILABLE']);
    expect(logs).toEqual([]);
  });
});
