import { describe, expect, it } from 'vitest';
// Only the public entry: createApiClient must be usable from what users can import.
import { type ApiClient, type ApiClientOptions, createApiClient, UploadClientError } from '../../client/upload.ts';
import { crc64 } from '../../shared/core/crc64.ts';
import { FakeBackend, testBytes } from './fake-backend.ts';

/** `createApiClient`: the routes one by one, built from public parts only. */

const client = (fake: FakeBackend, extra: Partial<ApiClientOptions> = {}): ApiClient =>
  createApiClient({ baseUrl: `${fake.api}/`, token: 't0k', fetch: fake.fetch, ...extra });

describe('createApiClient', () => {
  it('drives a whole upload: create, part URLs, record, get, complete', async () => {
    const fake = new FakeBackend({ partSize: 100 });
    const api = client(fake);
    const bytes = testBytes(250);
    const upload = await api.create({ fileName: 'a.bin', size: bytes.length, contentType: 'application/octet-stream' });
    expect(upload).toMatchObject({ state: 'open', strategy: 'multipart', partCount: 3 });
    const urls = await api.partUrls(upload.id, [1, 2, 3]);
    const parts = [];
    for (const u of urls) {
      const body = bytes.subarray((u.partNumber - 1) * 100, u.partNumber * 100);
      const res = await fake.fetch(u.url, {
        method: u.method,
        headers: u.headers,
        body: body as Uint8Array<ArrayBuffer>,
      });
      parts.push({
        partNumber: u.partNumber,
        etag: res.headers.get('etag')!,
        size: body.length,
        crc64: crc64(body).toString(),
      });
    }
    expect(await api.recordParts(upload.id, parts)).toBe(3);
    const seen = await api.get(upload.id);
    expect(seen.parts.map((p) => p.partNumber)).toEqual([1, 2, 3]);
    const done = await api.complete(upload.id);
    expect(done).toMatchObject({ id: upload.id, state: 'completed', crc64: crc64(bytes).toString() });
    expect(fake.object(upload.id)).toEqual(bytes);
  });

  it('abort deletes an upload; errors carry the contract code', async () => {
    const fake = new FakeBackend({ partSize: 100 });
    const api = client(fake);
    const upload = await api.create({ fileName: 'a.bin', size: 10, contentType: 'text/plain' });
    await api.abort(upload.id);
    expect(fake.uploads.get(upload.id)!.upload.state).toBe('aborted');
    const err = await api.partUrls(upload.id, [1]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UploadClientError);
    expect(err).toMatchObject({ status: 409, code: 'UPLOAD_NOT_OPEN', retryable: false });
  });

  it('takes the public retry options, and getToken', async () => {
    const fake = new FakeBackend({
      partSize: 100,
      apiFault: ({ route }) => (route === 'create' ? { status: 503, code: 'STORE_UNAVAILABLE' } : undefined),
    });
    const api = createApiClient({
      baseUrl: fake.api,
      getToken: async () => 't0k',
      fetch: fake.fetch,
      retry: { retries: 0 },
    });
    const err = await api.create({ fileName: 'a.bin', size: 1 }).catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 503, code: 'STORE_UNAVAILABLE', retryable: true });
    expect(fake.calls.create).toBe(1);
  });

  it('a call whose signal fired rejects with STOPPED before any request', async () => {
    const fake = new FakeBackend({ partSize: 100 });
    const ctl = new AbortController();
    ctl.abort('enough');
    const err = await client(fake)
      .get('upl_fake0000000000000001', ctl.signal)
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'STOPPED', cause: 'enough' });
    expect(fake.totalApiCalls).toBe(0);
  });

  it('refuses options it cannot work with, at once, with every issue', () => {
    const bad = [
      [{}, ['baseUrl', 'token']],
      [{ baseUrl: 'api.example.com', token: 't' }, ['baseUrl']],
      [{ baseUrl: 'https://api.example.com' }, ['token']],
    ] as const;
    for (const [options, paths] of bad) {
      let thrown: unknown;
      try {
        createApiClient(options as ApiClientOptions);
      } catch (e) {
        thrown = e;
      }
      expect(thrown).toMatchObject({ code: 'INVALID_OPTIONS', retryable: false });
      const issues = (thrown as UploadClientError).details.issues as { path: string[] }[];
      expect(issues.map((i) => i.path[0])).toEqual(paths);
    }
  });
});
