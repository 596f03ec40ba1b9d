import { describe, expect, it } from 'vitest';
import { UploadClientError, type UploadProgress } from '../../client/upload.ts';
import { FakeBackend, noWait, testBytes } from './fake-backend.ts';
import { startUpload } from '../../client/upload-run.ts';

const opts = (fake: FakeBackend) => ({ baseUrl: fake.api, token: 't0k', fetch: fake.fetch });
const internals = { retry: noWait };

/** Uploads until `n` parts are done, then stops via the signal; returns the upload id. */
async function stopAfter(fake: FakeBackend, bytes: Uint8Array, n: number): Promise<string> {
  const ctl = new AbortController();
  const task = startUpload(
    bytes,
    { ...opts(fake), concurrency: 2, signal: ctl.signal, onProgress: (e) => e.partsDone >= n && ctl.abort() },
    internals,
  );
  const err = await task.done.catch((e) => e);
  expect(err).toMatchObject({ code: 'STOPPED' });
  expect(task.status).toBe('stopped');
  return task.id!;
}

describe('resume', () => {
  it('a stopped upload records its parts; resuming sends only the missing ones', async () => {
    const fake = new FakeBackend({ partSize: 100, putDelayMs: 1 });
    const bytes = testBytes(1_000);
    const id = await stopAfter(fake, bytes, 4);
    expect(fake.calls.delete).toBe(0);
    const recorded = [...fake.uploads.get(id)!.ledger.keys()];
    expect(recorded.length).toBeGreaterThanOrEqual(4);
    const before = new Map(fake.puts);

    const events: UploadProgress[] = [];
    const done = await startUpload(bytes, { ...opts(fake), uploadId: id, onProgress: (e) => events.push(e) }, internals)
      .done;
    expect(done.id).toBe(id);
    expect(fake.object(id)).toEqual(bytes);
    for (const n of recorded) expect(fake.puts.get(n)).toBe(before.get(n));
    for (let n = 1; n <= 10; n++) if (!recorded.includes(n)) expect(fake.puts.get(n)).toBe(1);
    expect(events.at(-1)).toMatchObject({ bytesSent: 1000, partsDone: 10, resumedBytes: recorded.length * 100 });
  });

  it('re-sends recorded parts whose local bytes changed, or that lack a CRC', async () => {
    const fake = new FakeBackend({ partSize: 100 });
    const bytes = testBytes(500);
    const id = await stopAfter(fake, bytes, 5);
    const ledger = fake.uploads.get(id)!.ledger;
    expect(ledger.size).toBe(5);
    // Part 2 edited locally since; part 4's record has no CRC (an older client wrote it).
    const edited = Uint8Array.from(bytes);
    edited[150] = edited[150]! ^ 1;
    delete ledger.get(4)!.crc64;
    const before = new Map(fake.puts);
    const done = await startUpload(edited, { ...opts(fake), uploadId: id }, internals).done;
    expect(fake.object(id)).toEqual(edited);
    const resent = [1, 2, 3, 4, 5].filter((n) => fake.puts.get(n) !== before.get(n));
    expect(resent).toEqual([2, 4]);
    expect(done.crc64).toBeTruthy();
  });

  it('repairs once when complete finds a recorded part missing in COS', async () => {
    const fake = new FakeBackend({ partSize: 100 });
    const bytes = testBytes(300);
    const id = await stopAfter(fake, bytes, 3);
    fake.dropStoredPart(id, 2);
    const done = await startUpload(bytes, { ...opts(fake), uploadId: id }, internals).done;
    expect(done.state).toBe('completed');
    expect(fake.calls.complete).toBe(2);
    expect(fake.puts.get(2)).toBe(2);
    expect(fake.object(id)).toEqual(bytes);
  });

  it('refuses a source of another size, and an aborted upload', async () => {
    const fake = new FakeBackend({ partSize: 100 });
    const id = await stopAfter(fake, testBytes(300), 1);
    const err = await startUpload(testBytes(301), { ...opts(fake), uploadId: id }, internals).done.catch((e) => e);
    expect(err).toBeInstanceOf(UploadClientError);
    expect(err.code).toBe('SOURCE_MISMATCH');
    fake.uploads.get(id)!.upload.state = 'aborted';
    const gone = await startUpload(testBytes(300), { ...opts(fake), uploadId: id }, internals).done.catch((e) => e);
    expect(gone).toMatchObject({ code: 'UPLOAD_NOT_OPEN', details: { state: 'aborted' } });
    const unknown = await startUpload(
      testBytes(300),
      { ...opts(fake), uploadId: 'upl_unknown00000000000000' },
      internals,
    ).done.catch((e) => e);
    expect(unknown).toMatchObject({ status: 404, code: 'NOT_FOUND' });
  });

  it('resuming a completed upload returns it without sending anything', async () => {
    const fake = new FakeBackend({ partSize: 100 });
    const bytes = testBytes(200);
    const first = await startUpload(bytes, opts(fake), internals).done;
    const attempts = fake.putAttempts;
    const again = await startUpload(bytes, { ...opts(fake), uploadId: first.id }, internals).done;
    expect(again).toMatchObject({ id: first.id, state: 'completed', etag: first.etag });
    expect(fake.putAttempts).toBe(attempts);
  });
});
