import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { backoffDelay, retryPolicy, withRetry } from '../../client/retry.ts';
import { UploadClientError, upload } from '../../client/upload.ts';
import { FakeBackend, noWait, testBytes } from './fake-backend.ts';
import { startUpload } from '../../client/upload-run.ts';

const opts = (fake: FakeBackend) => ({ baseUrl: fake.api, token: 't0k', fetch: fake.fetch });
const internals = { retry: noWait };

describe('backoff', () => {
  it('full jitter: a delay in [0, min(cap, base·2^attempt))', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 40 }), fc.double({ min: 0, max: 0.999999, noNaN: true }), (n, r) => {
        const p = { baseDelayMs: 250, maxDelayMs: 20_000, random: () => r };
        const d = backoffDelay(n, p);
        expect(d).toBeGreaterThanOrEqual(0);
        expect(d).toBeLessThan(Math.min(20_000, 250 * 2 ** n));
      }),
    );
    expect(backoffDelay(3, { baseDelayMs: 100, maxDelayMs: 10_000, random: () => 0.5 })).toBe(400);
  });

  it('retries retryable errors until the budget is spent, then throws the last error', async () => {
    const delays: number[] = [];
    const policy = retryPolicy(
      { retries: 3, baseDelayMs: 100 },
      { random: () => 0.5, sleep: async (ms) => void delays.push(ms) },
    );
    let n = 0;
    const err = await withRetry(async () => {
      n++;
      throw new UploadClientError(503, 'STORAGE_UNAVAILABLE', `try ${n}`);
    }, policy).catch((e) => e);
    expect(n).toBe(4);
    expect(err.message).toBe('try 4');
    expect(delays).toEqual([50, 100, 200]);
    n = 0;
    await expect(
      withRetry(async () => {
        n++;
        throw new UploadClientError(400, 'VALIDATION_FAILED', 'no');
      }, policy),
    ).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    expect(n).toBe(1);
  });
});

describe('retries in an upload', () => {
  it('re-sends a part after network errors and COS 503s', async () => {
    const fake = new FakeBackend({
      partSize: 100,
      cosFault: ({ partNumber, attempt }) =>
        partNumber === 2 && attempt < 2 ? 'network' : partNumber === 4 && attempt < 3 ? { status: 503 } : undefined,
    });
    const bytes = testBytes(500);
    const done = await startUpload(bytes, opts(fake), internals).done;
    expect(fake.object(done.id)).toEqual(bytes);
    expect(fake.putAttempts).toBe(5 + 2 + 3);
    expect([...fake.puts.values()]).toEqual([1, 1, 1, 1, 1]);
  });

  it('retries API 5xx (and dropped API connections) on every route', async () => {
    const fake = new FakeBackend({
      partSize: 100,
      apiFault: ({ route, attempt }) =>
        attempt === 0 ? (route === 'record' ? 'network' : { status: 503, code: 'STORAGE_UNAVAILABLE' }) : undefined,
    });
    const done = await startUpload(testBytes(300), opts(fake), internals).done;
    expect(done.state).toBe('completed');
    expect(fake.calls).toMatchObject({ create: 2, partUrls: 2, complete: 2 });
  });

  it('re-sends a part whose bytes COS hashed differently (damaged in transit)', async () => {
    const fake = new FakeBackend({ partSize: 100, cosFault: ({ attempt }) => (attempt === 0 ? 'corrupt' : undefined) });
    const bytes = testBytes(200);
    const done = await startUpload(bytes, opts(fake), internals).done;
    expect(fake.object(done.id)).toEqual(bytes);
    expect([...fake.puts.values()]).toEqual([2, 2]);
  });

  it('a 403 (expired URL) refetches that URL once, then succeeds', async () => {
    const fake = new FakeBackend({
      partSize: 100,
      cosFault: ({ partNumber, attempt }) => (partNumber === 3 && attempt === 0 ? { status: 403 } : undefined),
    });
    const done = await startUpload(testBytes(500), opts(fake), internals).done;
    expect(done.state).toBe('completed');
    expect(fake.partUrlRequests).toHaveLength(2);
    expect(fake.partUrlRequests[1]![0]).toBe(3);
  });

  it('a second 403 for the same part fails with the COS error', async () => {
    const fake = new FakeBackend({
      partSize: 100,
      cosFault: ({ partNumber }) => (partNumber === 1 ? { status: 403 } : undefined),
    });
    const err = await startUpload(testBytes(300), opts(fake), internals).done.catch((e) => e);
    expect(err).toBeInstanceOf(UploadClientError);
    expect(err).toMatchObject({ status: 403, code: 'COS_ERROR', details: { partNumber: 1, cosCode: 'Injected' } });
  });

  it('URLs about to expire are refetched before use, without a 403', async () => {
    let now = 1_000_000;
    const fake = new FakeBackend({ partSize: 100, urlTtlMs: 600_000, now: () => now });
    const fetch = async (url: string, init?: RequestInit) => {
      const res = await fake.fetch(url, init);
      // Each part PUT takes four simulated minutes: URLs fetched with the first batch go stale.
      if (url.startsWith('http://cos.test')) now += 240_000;
      return res;
    };
    const done = await startUpload(
      testBytes(500),
      { ...opts(fake), fetch, concurrency: 1, urlExpiryMarginMs: 60_000 },
      { ...internals, now: () => now },
    ).done;
    expect(done.state).toBe('completed');
    expect(fake.partUrlRequests.length).toBeGreaterThan(1);
    expect(fake.putAttempts).toBe(5);
  });

  it('other 4xx fail fast with the contract error code, message and details', async () => {
    const fake = new FakeBackend({
      partSize: 100,
      apiFault: ({ route }) => (route === 'create' ? { status: 429, code: 'TOO_MANY_OPEN_UPLOADS' } : undefined),
    });
    const err = await upload(testBytes(10), opts(fake)).catch((e) => e);
    expect(err).toMatchObject({ name: 'UploadClientError', status: 429, code: 'TOO_MANY_OPEN_UPLOADS' });
    expect(err.toJSON().error.code).toBe('TOO_MANY_OPEN_UPLOADS');
    expect(fake.calls.create).toBe(1);
  });

  it('gives up after the retry budget with the last error', async () => {
    const fake = new FakeBackend({ partSize: 100, cosFault: () => 'network' });
    const err = await startUpload(testBytes(100), { ...opts(fake), retry: { retries: 2 } }, internals).done.catch(
      (e) => e,
    );
    expect(err).toMatchObject({ code: 'NETWORK_ERROR', status: null, retryable: true });
    expect(fake.putAttempts).toBe(3);
  });

  it('asks getToken again after a 401', async () => {
    const fake = new FakeBackend({ partSize: 100 });
    const tokens = ['expired', 't0k', 't0k', 't0k', 't0k', 't0k', 't0k'];
    let asked = 0;
    const done = await upload(testBytes(100), {
      baseUrl: fake.api,
      fetch: fake.fetch,
      getToken: async () => tokens[asked++]!,
    });
    expect(done.state).toBe('completed');
    expect(asked).toBeGreaterThan(1);
  });
});
