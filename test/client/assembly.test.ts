import { describe, expect, it } from 'vitest';
import { sleep } from '../../client/retry.ts';
import { type UploadProgress } from '../../client/upload.ts';
import { crc64 } from '../../shared/core/crc64.ts';
import { type AssemblyPlan, FakeBackend, noWait, testBytes } from './fake-backend.ts';
import { startUpload } from '../../client/upload-run.ts';

/** An upload whose complete answers 202: the task waits, shows `assembling`, repairs what failed. */

const opts = (fake: FakeBackend) => ({ baseUrl: fake.api, token: 't0k', fetch: fake.fetch });
const internals = { retry: noWait };
/** The real sleep: for tests where an abort must cut a long Retry-After short. */
const realSleep = { retry: { sleep, random: () => 0 } };

const assembling = (plan: (attempt: number) => AssemblyPlan | undefined) => ({
  partSize: 100,
  assemble: ({ attempt }: { attempt: number }) => plan(attempt),
});

/** Phases as the listener heard them, runs of one phase collapsed. */
const phases = (events: UploadProgress[]) =>
  events.map((e) => e.phase).filter((p, i, all) => i === 0 || all[i - 1] !== p);

describe('upload with an assembly that outlasts complete', () => {
  it('waits through the 202s, reports the assembling phase once, and resolves completed', async () => {
    const fake = new FakeBackend(assembling(() => ({ polls: 3 })));
    const bytes = testBytes(500);
    const events: UploadProgress[] = [];
    const task = startUpload(bytes, { ...opts(fake), onProgress: (e) => events.push(e) }, internals);
    const done = await task.done;
    expect(done).toMatchObject({ state: 'completed', crc64: crc64(bytes).toString(), crc64Verified: true });
    expect(task.status).toBe('completed');
    expect(fake.calls).toMatchObject({ complete: 1, get: 4 });
    expect(phases(events)).toEqual(['uploading', 'assembling']);
    expect(events.filter((e) => e.phase === 'assembling')).toEqual([
      { phase: 'assembling', bytesSent: 500, totalBytes: 500, partsDone: 5, partCount: 5, resumedBytes: 0 },
    ]);
  });

  it('a background PARTS_INVALID (part 2 missing) re-sends part 2 and completes again', async () => {
    const fake = new FakeBackend(assembling((attempt) => (attempt === 0 ? { lose: [2] } : { polls: 1 })));
    const bytes = testBytes(300);
    const events: UploadProgress[] = [];
    const task = startUpload(bytes, { ...opts(fake), onProgress: (e) => events.push(e) }, internals);
    const done = await task.done;
    expect(done.state).toBe('completed');
    expect(fake.calls.complete).toBe(2);
    expect([...fake.puts.entries()].sort((a, b) => a[0] - b[0])).toEqual([
      [1, 1],
      [2, 2],
      [3, 1],
    ]);
    expect(fake.object(done.id)).toEqual(bytes);
    expect(phases(events)).toEqual(['uploading', 'assembling', 'uploading', 'assembling']);
    // Back to uploading with part 2 taken off the count.
    expect(events.find((e, i) => i > 0 && e.phase === 'uploading' && events[i - 1]!.phase === 'assembling')).toEqual({
      phase: 'uploading',
      bytesSent: 200,
      totalBytes: 300,
      partsDone: 2,
      partCount: 3,
      resumedBytes: 0,
    });
  });

  it('a CRC64 mismatch after the 202 re-sends every part to the fresh COS upload', async () => {
    const fake = new FakeBackend(assembling((attempt) => (attempt === 0 ? { outcome: 'crc64Mismatch' } : {})));
    const bytes = testBytes(400);
    const task = startUpload(bytes, { ...opts(fake), concurrency: 1 }, internals);
    const done = await task.done;
    expect(done.state).toBe('completed');
    expect(done.cosUploadId).not.toBe(`cos-${done.id}`);
    expect(task.upload?.cosUploadId).toBe(done.cosUploadId);
    expect([...fake.puts.values()]).toEqual([2, 2, 2, 2]);
    // Part 1's first URL came with create. Then new URLs for all four, part 1's too (the old ones
    // name the replaced COS upload), and a ledger for them.
    expect(fake.partUrlRequests).toEqual([
      [2, 3, 4],
      [1, 2, 3, 4],
    ]);
    expect(fake.uploads.get(done.id)!.ledger.size).toBe(4);
    expect(fake.object(done.id)).toEqual(bytes);
    expect(done.crc64).toBe(crc64(bytes).toString());
  });

  it('repairs once: a second background failure fails the upload with its lastError', async () => {
    const fake = new FakeBackend(assembling(() => ({ outcome: 'crc64Mismatch' })));
    const task = startUpload(testBytes(200), opts(fake), internals);
    const err = await task.done.catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'PARTS_INVALID', status: 409, details: { crc64Mismatch: {} } });
    expect(task.status).toBe('failed');
    expect(fake.calls.complete).toBe(2);
  });

  it('the caller signal stops the wait at once; a resume then waits it out without sending', async () => {
    const fake = new FakeBackend(assembling(() => ({ polls: 1_000, retryAfter: 30 })));
    const bytes = testBytes(300);
    const ctl = new AbortController();
    const task = startUpload(
      bytes,
      { ...opts(fake), signal: ctl.signal, onProgress: (e) => e.phase === 'assembling' && ctl.abort() },
      realSleep,
    );
    const started = Date.now();
    await expect(task.done).rejects.toMatchObject({ code: 'STOPPED' });
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(task.status).toBe('stopped');
    expect(fake.calls.delete).toBe(0);
    const s = fake.uploads.get(task.id!)!;
    expect(s.upload.state).toBe('completing');

    // The merge finishes while nobody watches; the resume sees `completing`, then `completed`.
    s.assembly!.plan.polls = 1;
    const putsBefore = fake.putAttempts;
    const events: UploadProgress[] = [];
    const done = await startUpload(
      bytes,
      { ...opts(fake), uploadId: task.id!, onProgress: (e) => events.push(e) },
      internals,
    ).done;
    expect(done).toMatchObject({ id: task.id, state: 'completed' });
    expect(fake.putAttempts).toBe(putsBefore);
    expect(fake.calls.partUrls).toBe(1);
    expect(events).toEqual([
      { phase: 'assembling', bytesSent: 300, totalBytes: 300, partsDone: 3, partCount: 3, resumedBytes: 300 },
    ]);
  });

  it('a resumed completing upload whose merge then fails re-sends only the parts named', async () => {
    const fake = new FakeBackend(assembling((attempt) => (attempt === 0 ? { polls: 1_000, lose: [3] } : undefined)));
    const bytes = testBytes(400);
    const ctl = new AbortController();
    const first = startUpload(
      bytes,
      { ...opts(fake), signal: ctl.signal, onProgress: (e) => e.phase === 'assembling' && ctl.abort() },
      internals,
    );
    await expect(first.done).rejects.toMatchObject({ code: 'STOPPED' });
    fake.uploads.get(first.id!)!.assembly!.plan.polls = 1;
    const before = new Map(fake.puts);
    const events: UploadProgress[] = [];
    const done = await startUpload(
      bytes,
      { ...opts(fake), uploadId: first.id!, onProgress: (e) => events.push(e) },
      internals,
    ).done;
    expect(done.state).toBe('completed');
    expect([1, 2, 3, 4].filter((n) => fake.puts.get(n) !== before.get(n))).toEqual([3]);
    expect(fake.object(done.id)).toEqual(bytes);
    expect(phases(events)).toEqual(['assembling', 'uploading']);
    // Counted afresh once parts were checked: three found in COS, one sent.
    expect(events.at(-1)).toEqual({
      phase: 'uploading',
      bytesSent: 400,
      totalBytes: 400,
      partsDone: 4,
      partCount: 4,
      resumedBytes: 300,
    });
  });

  it('abort() while assembling stops waiting; the API refuses the delete of a completing upload', async () => {
    const fake = new FakeBackend(assembling(() => ({ polls: 1_000, retryAfter: 30 })));
    let aborting: Promise<void> | null = null;
    const task = startUpload(
      testBytes(200),
      { ...opts(fake), onProgress: (e) => e.phase === 'assembling' && (aborting = task.abort()) },
      realSleep,
    );
    await expect(task.done).rejects.toMatchObject({ code: 'ABORTED' });
    await expect(aborting).rejects.toMatchObject({ status: 409, code: 'UPLOAD_NOT_OPEN' });
    expect(fake.calls.delete).toBe(1);
    expect(fake.uploads.get(task.id!)!.upload.state).toBe('completing');
  });

  it('pause() while assembling is a no-op: nothing is being sent', async () => {
    const fake = new FakeBackend(assembling(() => ({ polls: 2 })));
    const task = startUpload(
      testBytes(200),
      { ...opts(fake), onProgress: (e) => e.phase === 'assembling' && task.pause() },
      internals,
    );
    await expect(task.done).resolves.toMatchObject({ state: 'completed' });
    expect(task.status).toBe('completed');
  });

  it('completeTimeoutMs fails the task with COMPLETE_TIMEOUT; the session stays for a resume', async () => {
    let now = 0;
    const fake = new FakeBackend({ ...assembling(() => ({ untilMs: 1e12 })), now: () => now });
    const clock = { now: () => now, retry: { random: () => 0, sleep: async (ms: number) => void (now += ms) } };
    const task = startUpload(testBytes(200), { ...opts(fake), completeTimeoutMs: 10_000 }, clock);
    await expect(task.done).rejects.toMatchObject({ code: 'COMPLETE_TIMEOUT', details: { waitedMs: 10_000 } });
    expect(task.status).toBe('failed');
    expect(fake.uploads.get(task.id!)!.upload.state).toBe('completing');
  });
});
