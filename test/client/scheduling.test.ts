import { describe, expect, it } from 'vitest';
import { createUpload, type UploadProgress, upload } from '../../client/upload.ts';
import { crc64 } from '../../shared/core/crc64.ts';
import { FakeBackend, testBytes } from './fake-backend.ts';

const opts = (fake: FakeBackend) => ({ baseUrl: fake.api, token: 't0k', fetch: fake.fetch });

describe('part scheduling', () => {
  it('uploads every part once, completes, and the object is the source', async () => {
    const fake = new FakeBackend({ partSize: 1000 });
    const bytes = testBytes(10_500);
    const done = await upload(bytes, { ...opts(fake), fileName: 'a.bin' });
    expect(done.state).toBe('completed');
    expect(fake.object(done.id)).toEqual(bytes);
    expect(done.crc64).toBe(crc64(bytes).toString());
    expect([...fake.puts.values()]).toEqual(Array(11).fill(1));
    // Ledger has every part with size and the locally computed CRC.
    const ledger = [...fake.uploads.get(done.id)!.ledger.values()];
    expect(ledger).toHaveLength(11);
    expect(ledger.find((p) => p.partNumber === 11)).toMatchObject({ size: 500 });
    expect(ledger.every((p) => typeof p.crc64 === 'string')).toBe(true);
  });

  it('never has more part PUTs in flight than the concurrency limit', async () => {
    const fake = new FakeBackend({ partSize: 100, putDelayMs: 2 });
    await upload(testBytes(4_000), { ...opts(fake), concurrency: 3 });
    expect(fake.maxInFlight).toBe(3);
    const fake1 = new FakeBackend({ partSize: 100, putDelayMs: 1 });
    await upload(testBytes(1_000), { ...opts(fake1), concurrency: 1 });
    expect(fake1.maxInFlight).toBe(1);
  });

  it('a 10,000-part upload costs about 25 API calls: URLs and ledger records go in batches', async () => {
    const fake = new FakeBackend({ partSize: 16 });
    const bytes = testBytes(16 * 10_000 - 5);
    const done = await upload(bytes, { ...opts(fake), concurrency: 8, recordIntervalMs: 3_600_000 });
    expect(done.partCount).toBe(10_000);
    expect(fake.calls.create).toBe(1);
    expect(fake.calls.complete).toBe(1);
    expect(fake.calls.partUrls).toBeLessThanOrEqual(11);
    expect(fake.calls.record).toBeLessThanOrEqual(11);
    expect(fake.totalApiCalls).toBeLessThanOrEqual(25);
    expect(fake.partUrlRequests.every((r) => r.length <= 1000)).toBe(true);
    // No URL fetched twice, none wasted: part 1's came with create.
    expect(fake.partUrlRequests.flat().sort((a, b) => a - b)).toEqual(Array.from({ length: 9_999 }, (_, i) => i + 2));
    expect(fake.puts.size).toBe(10_000);
    expect(fake.object(done.id)).toEqual(bytes);
  });

  it('records the ledger after every part with recordIntervalMs 0, and in batches of recordBatchSize', async () => {
    const eager = new FakeBackend({ partSize: 10 });
    await upload(testBytes(50), { ...opts(eager), concurrency: 1, recordIntervalMs: 0 });
    expect(eager.calls.record).toBe(5);
    const batched = new FakeBackend({ partSize: 10 });
    await upload(testBytes(250), { ...opts(batched), concurrency: 1, recordBatchSize: 10, urlBatchSize: 7 });
    expect(batched.calls.record).toBe(3);
    // Parts 2..25 (part 1's URL came with create), 7 at a time.
    expect(batched.partUrlRequests.map((r) => r.length)).toEqual([7, 7, 7, 3]);
  });

  it('single strategy: one Upload Part PUT with exactly the listed headers, no ledger calls', async () => {
    const fake = new FakeBackend({ partSize: 1000, singleMax: 5000 });
    const sent: Record<string, string>[] = [];
    const fetch = (url: string, init?: RequestInit) => {
      if (url.startsWith('http://cos.test')) sent.push(init!.headers as Record<string, string>);
      return fake.fetch(url, init);
    };
    const bytes = testBytes(3000);
    const done = await upload(bytes, { ...opts(fake), fetch, contentType: 'image/png' });
    expect(done.strategy).toBe('single');
    // Its one URL came with create (`presign: 1`).
    expect(fake.partUrlRequests).toEqual([]);
    // The URL lists no Content-Type (the server set it at Initiate) and the client adds none.
    expect(sent).toEqual([{ 'content-length': '3000' }]);
    expect(fake.calls.record).toBe(0);
    expect(fake.object(done.id)).toEqual(bytes);
    expect(done).toMatchObject({ contentType: 'image/png', cosUploadId: `cos-${done.id}` });
  });

  it('a 0-byte file: create answers it completed, so nothing is PUT and complete is not called', async () => {
    const fake = new FakeBackend({ partSize: 1000, singleMax: 5000 });
    const events: UploadProgress[] = [];
    const created: string[] = [];
    const task = createUpload(new Uint8Array(0), {
      ...opts(fake),
      onProgress: (e) => events.push(e),
      onUploadCreated: (u) => created.push(u.state),
    });
    const done = await task.done;
    expect(done).toMatchObject({ state: 'completed', size: 0, strategy: 'single' });
    expect(created).toEqual(['completed']);
    expect(fake.putAttempts).toBe(0);
    expect(fake.calls).toMatchObject({ create: 1, partUrls: 0, complete: 0 });
    expect(events.at(-1)).toMatchObject({ bytesSent: 0, totalBytes: 0, partsDone: 1, partCount: 1 });
    expect(task.status).toBe('completed');
  });

  it('reports monotonic progress ending at the total, and sends file name, type, metadata', async () => {
    const fake = new FakeBackend({ partSize: 100 });
    const events: UploadProgress[] = [];
    const blob = new File([testBytes(950) as Uint8Array<ArrayBuffer>], 'photo.jpg', { type: 'image/jpeg' });
    const task = createUpload(blob, { ...opts(fake), metadata: { album: '2026' }, onProgress: (e) => events.push(e) });
    const done = await task.done;
    expect(done).toMatchObject({ fileName: 'photo.jpg', contentType: 'image/jpeg', metadata: { album: '2026' } });
    expect(events.map((e) => e.partsDone)).toEqual(Array.from({ length: 10 }, (_, i) => i + 1));
    expect(events.at(-1)).toEqual({
      phase: 'uploading',
      bytesSent: 950,
      totalBytes: 950,
      partsDone: 10,
      partCount: 10,
      resumedBytes: 0,
    });
    for (let i = 1; i < events.length; i++) expect(events[i]!.bytesSent).toBeGreaterThan(events[i - 1]!.bytesSent);
    expect(task.status).toBe('completed');
  });

  it('rejects bad options before any request', async () => {
    const fake = new FakeBackend({ partSize: 100 });
    const err = await upload(testBytes(10), { ...opts(fake), concurrency: 0, urlBatchSize: 5000 }).catch((e) => e);
    expect(err).toMatchObject({ name: 'UploadClientError', code: 'INVALID_OPTIONS' });
    expect(err.details.issues.map((i: { path: string[] }) => i.path[0])).toEqual(['concurrency', 'urlBatchSize']);
    expect(fake.totalApiCalls).toBe(0);
    const noToken = await upload(testBytes(10), { baseUrl: fake.api, fetch: fake.fetch }).catch((e) => e);
    expect(noToken.code).toBe('INVALID_OPTIONS');
    // Deliberately the wrong type: the runtime check is what is under test.
    const badSource = await upload(42 as unknown as Blob, opts(fake)).catch((e) => e);
    expect(badSource.code).toBe('INVALID_OPTIONS');
  });

  it('declareCrc64 reads the source first and declares its CRC64 at create', async () => {
    const fake = new FakeBackend({ partSize: 100 });
    const bodies: Record<string, unknown>[] = [];
    const fetch = (url: string, init?: RequestInit) => {
      if (url === `${fake.api}/v1/uploads`) bodies.push(JSON.parse(init!.body as string));
      return fake.fetch(url, init);
    };
    const bytes = testBytes(1_234);
    await upload(bytes, { ...opts(fake), fetch, declareCrc64: true });
    await upload(bytes, { ...opts(fake), fetch });
    expect(bodies.map((b) => b.crc64)).toEqual([crc64(bytes).toString(), undefined]);
    expect(bodies[0]).toMatchObject({ fileName: 'upload.bin', size: 1_234, contentType: 'application/octet-stream' });
  });
});
