import { describe, expect, it } from 'vitest';
import { isRetryable, RETRY_RULES } from '../../client/retryable.ts';
import { startUpload } from '../../client/upload-run.ts';
import { UploadClientError } from '../../client/upload.ts';
import { FakeBackend, noWait, testBytes } from './fake-backend.ts';

/** `retryable` comes from the code, by one table; what is not retryable is tried once. */

const opts = (fake: FakeBackend) => ({ baseUrl: fake.api, token: 't0k', fetch: fake.fetch });
const seams = { retry: noWait };

describe('the retryable table', () => {
  it('classifies by code; transport codes by a 429/5xx status, never without one', () => {
    const cases: [code: string, status: number | null, retryable: boolean][] = [
      ['NETWORK_ERROR', null, true],
      ['STORAGE_UNAVAILABLE', 503, true],
      ['STORAGE_UNAVAILABLE', 502, true],
      ['STORE_UNAVAILABLE', 503, true],
      ['COMPLETE_TIMEOUT', null, true],
      ['INTERNAL', 500, false],
      ['TOO_MANY_OPEN_UPLOADS', 429, false],
      ['CRC64_MISMATCH', null, false],
      ['CRC64_MISMATCH', 200, false],
      ['STOPPED', null, false],
      ['ABORTED', null, false],
      ['PARTS_INVALID', 409, false],
      ['UNAUTHORIZED', 401, false],
      ['VALIDATION_FAILED', 400, false],
      ['INVALID_OPTIONS', null, false],
      ['INVALID_RESPONSE', null, false],
      ['INVALID_RESPONSE', 200, false],
      ['INVALID_RESPONSE', 404, false],
      ['INVALID_RESPONSE', 429, true],
      ['INVALID_RESPONSE', 502, true],
      ['COS_ERROR', 403, false],
      ['COS_ERROR', 404, false],
      ['COS_ERROR', 503, true],
      // A newer server's code: HTTP semantics only.
      ['SOMETHING_NEW', 503, true],
      ['SOMETHING_NEW', 409, false],
      ['SOMETHING_NEW', null, false],
    ];
    for (const [code, status, retryable] of cases) {
      expect(isRetryable(code, status), `${code} ${status}`).toBe(retryable);
      expect(new UploadClientError(status, code, 'm').retryable, `${code} ${status}`).toBe(retryable);
    }
    // The table is not fooled by names on Object.prototype.
    expect(isRetryable('constructor', 500)).toBe(true);
    expect(isRetryable('toString', null)).toBe(false);
    expect(Object.keys(RETRY_RULES)).toContain('STORE_UNAVAILABLE');
  });
});

describe('what an upload retries', () => {
  it('an INVALID_RESPONSE without a status (part-urls left a part out) is not retried', async () => {
    const fake = new FakeBackend({ partSize: 100 });
    const fetch = async (url: string, init?: RequestInit) => {
      const res = await fake.fetch(url, init);
      if (!url.endsWith('/part-urls')) return res;
      const body = (await res.json()) as { urls: { partNumber: number }[] };
      return Response.json({ urls: body.urls.filter((u) => u.partNumber !== 2) });
    };
    const err = await startUpload(testBytes(300), { ...opts(fake), fetch, concurrency: 1 }, seams).done.catch(
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ code: 'INVALID_RESPONSE', status: null, retryable: false });
    // After the batch for all three: a prefetch from part 2 and one fetch on demand, not six more.
    expect(fake.partUrlRequests.filter((r) => r[0] === 2)).toHaveLength(2);
  });

  it('a 2xx of the wrong shape is tried once', async () => {
    const fake = new FakeBackend({ partSize: 100 });
    let creates = 0;
    const fetch = async (url: string, init?: RequestInit) => {
      if (init?.method !== 'POST' || !url.endsWith('/v1/uploads')) return fake.fetch(url, init);
      creates++;
      return Response.json({ upload: { id: 'x' } }, { status: 201 });
    };
    const err = await startUpload(testBytes(10), { ...opts(fake), fetch }, seams).done.catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'INVALID_RESPONSE', status: 201, retryable: false });
    expect(creates).toBe(1);
  });

  it("a gateway's own 502 or 429 page is retried", async () => {
    for (const status of [502, 429]) {
      const fake = new FakeBackend({
        partSize: 100,
        apiFault: ({ route, attempt }) => (route === 'create' && attempt === 0 ? { status } : undefined),
      });
      const done = await startUpload(testBytes(100), opts(fake), seams).done;
      expect(done.state, String(status)).toBe('completed');
      expect(fake.calls.create, String(status)).toBe(2);
    }
  });

  it('INTERNAL (a bug or a misconfigured server) is not retried', async () => {
    const fake = new FakeBackend({
      partSize: 100,
      apiFault: ({ route }) => (route === 'create' ? { status: 500, code: 'INTERNAL' } : undefined),
    });
    const err = await startUpload(testBytes(100), opts(fake), seams).done.catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'INTERNAL', status: 500, retryable: false });
    expect(fake.calls.create).toBe(1);
  });

  it('a COS 4xx on a part PUT is tried once; a COS 503 is retried', async () => {
    const gone = new FakeBackend({ partSize: 100, cosFault: () => ({ status: 404 }) });
    const err = await startUpload(testBytes(100), opts(gone), seams).done.catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'COS_ERROR', status: 404, retryable: false });
    expect(gone.putAttempts).toBe(1);
    const busy = new FakeBackend({
      partSize: 100,
      cosFault: ({ attempt }) => (attempt < 2 ? { status: 503 } : undefined),
    });
    await expect(startUpload(testBytes(100), opts(busy), seams).done).resolves.toMatchObject({ state: 'completed' });
    expect(busy.putAttempts).toBe(3);
  });

  it('a part COS keeps hashing differently is re-sent, then fails with a CRC64_MISMATCH that is not retryable', async () => {
    const fake = new FakeBackend({ partSize: 100, cosFault: () => 'corrupt' });
    const err = await startUpload(testBytes(100), opts(fake), { retry: { ...noWait, retries: 3 } }).done.catch(
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ code: 'CRC64_MISMATCH', retryable: false, details: { partNumber: 1 } });
    expect(fake.putAttempts).toBe(4);
  });

  it('a completed object whose CRC64 differs from the local bytes is a final CRC64_MISMATCH', async () => {
    const fake = new FakeBackend({ partSize: 100 });
    const fetch = async (url: string, init?: RequestInit) => {
      const res = await fake.fetch(url, init);
      if (!url.endsWith('/complete')) return res;
      const body = (await res.json()) as { upload: Record<string, unknown> };
      return Response.json({ upload: { ...body.upload, crc64: '1' } }, { status: res.status });
    };
    const err = await startUpload(testBytes(300), { ...opts(fake), fetch }, seams).done.catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'CRC64_MISMATCH', status: null, retryable: false });
    expect(fake.calls.complete).toBe(1);
  });
});
