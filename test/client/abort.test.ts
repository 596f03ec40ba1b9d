import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { startUpload } from '../../client/upload-run.ts';
import { createUpload, type UploadTask } from '../../client/upload.ts';
import { FakeBackend, noWait, testBytes } from './fake-backend.ts';

/**
 * Stop (the caller's signal: `STOPPED`, kept), abort (`abort()`: `ABORTED`, deleted) and pause, on
 * a fake clock: the fake's PUTs take timer time, and `settle()` runs every timer and whatever they
 * start until nothing is left scheduled — so "nothing more is sent" is a fact, not a short wait.
 */

const opts = (fake: FakeBackend) => ({ baseUrl: fake.api, token: 't0k', fetch: fake.fetch });
const seams = { retry: noWait };

/** Runs the fake clock until no timer is left: the upload is at rest (waiting, or settled). */
const settle = () => vi.runAllTimersAsync();

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
});
afterEach(() => {
  vi.useRealTimers();
});

/** `task.done`'s outcome once the clock has run out, without an unhandled rejection meanwhile. */
async function outcome(task: UploadTask): Promise<unknown> {
  const result = task.done.then(
    (v) => v,
    (e: unknown) => e,
  );
  await settle();
  return result;
}

describe('abort()', () => {
  it('cancels in-flight PUTs, deletes the session, and rejects with ABORTED', async () => {
    const fake = new FakeBackend({ partSize: 100, putDelayMs: 20 });
    let aborting: Promise<void> | null = null;
    const task: UploadTask = startUpload(
      testBytes(2_000),
      {
        ...opts(fake),
        onProgress: (e) => {
          if (e.partsDone === 2) aborting = task.abort();
        },
      },
      seams,
    );
    expect(await outcome(task)).toMatchObject({ name: 'UploadClientError', code: 'ABORTED', retryable: false });
    await aborting;
    expect(task.status).toBe('aborted');
    expect(fake.calls.delete).toBe(1);
    expect(fake.uploads.get(task.id!)!.upload.state).toBe('aborted');
    expect(fake.inFlight).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
    expect(fake.puts.size).toBeLessThan(20);
  });

  it('while the session is being created deletes it once it exists', async () => {
    const fake = new FakeBackend({ partSize: 100 });
    const task = startUpload(testBytes(500), opts(fake), seams);
    const aborting = task.abort();
    await expect(task.done).rejects.toMatchObject({ code: 'ABORTED' });
    await aborting;
    expect(fake.calls.create).toBe(1);
    expect(fake.calls.delete).toBe(1);
    expect(fake.putAttempts).toBe(0);
  });

  it('while paused deletes the session', async () => {
    const fake = new FakeBackend({ partSize: 100, putDelayMs: 5 });
    const task: UploadTask = startUpload(testBytes(1_000), { ...opts(fake), onProgress: () => task.pause() }, seams);
    await settle();
    expect(task.status).toBe('paused');
    const aborting = task.abort();
    expect(await outcome(task)).toMatchObject({ code: 'ABORTED' });
    await aborting;
    expect(fake.calls.delete).toBe(1);
  });
});

describe('pause() and resume()', () => {
  it('pause() stops sending; resume() un-pauses and finishes the upload', async () => {
    const fake = new FakeBackend({ partSize: 100, putDelayMs: 5 });
    const bytes = testBytes(1_500);
    let paused = false;
    const task: UploadTask = startUpload(
      bytes,
      {
        ...opts(fake),
        onProgress: (e) => {
          if (e.partsDone === 3 && !paused) {
            paused = true;
            task.pause();
          }
        },
      },
      seams,
    );
    await settle();
    // At rest while paused: nothing in flight, nothing scheduled, the upload waits for resume().
    expect(task.status).toBe('paused');
    expect(fake.inFlight).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
    const attempts = fake.putAttempts;
    await settle();
    expect(fake.putAttempts).toBe(attempts);
    expect(task.progress().partsDone).toBeLessThan(15);

    task.resume();
    const done = await outcome(task);
    expect(done).toMatchObject({ state: 'completed' });
    expect(fake.object(task.id!)).toEqual(bytes);
    expect(task.status).toBe('completed');
    // Parts recorded during the pause were not forgotten: each part stored once, ledger complete.
    expect(fake.uploads.get(task.id!)!.ledger.size).toBe(15);
  });
});

describe("the caller's signal", () => {
  it('stops with STOPPED, deletes nothing, records finished parts; uploadId resumes it', async () => {
    const fake = new FakeBackend({ partSize: 100, putDelayMs: 5 });
    const bytes = testBytes(1_000);
    const ctl = new AbortController();
    const task = startUpload(
      bytes,
      { ...opts(fake), signal: ctl.signal, onProgress: (e) => e.partsDone === 3 && ctl.abort('user left') },
      seams,
    );
    const err = await outcome(task);
    expect(err).toMatchObject({ name: 'UploadClientError', code: 'STOPPED', status: null, retryable: false });
    expect((err as Error).cause).toBe('user left');
    expect(task.status).toBe('stopped');
    expect(fake.calls.delete).toBe(0);
    expect(fake.uploads.get(task.id!)!.upload.state).toBe('open');
    const recorded = fake.uploads.get(task.id!)!.ledger.size;
    expect(recorded).toBeGreaterThanOrEqual(3);

    const puts = fake.putAttempts;
    const again = startUpload(bytes, { ...opts(fake), uploadId: task.id! }, seams);
    expect(await outcome(again)).toMatchObject({ id: task.id, state: 'completed' });
    expect(fake.putAttempts - puts).toBe(10 - recorded);
    expect(fake.object(task.id!)).toEqual(bytes);
  });

  it('already aborted: STOPPED before any request', async () => {
    const fake = new FakeBackend({ partSize: 100 });
    const ctl = new AbortController();
    ctl.abort();
    const task = createUpload(testBytes(10), { ...opts(fake), signal: ctl.signal });
    await expect(task.done).rejects.toMatchObject({ code: 'STOPPED' });
    expect(task.status).toBe('stopped');
    expect(fake.totalApiCalls).toBe(0);
  });

  it('abort() after a stop still deletes the kept upload', async () => {
    const fake = new FakeBackend({ partSize: 100, putDelayMs: 5 });
    const ctl = new AbortController();
    const task = startUpload(
      testBytes(1_000),
      { ...opts(fake), signal: ctl.signal, onProgress: (e) => e.partsDone === 2 && ctl.abort() },
      seams,
    );
    expect(await outcome(task)).toMatchObject({ code: 'STOPPED' });
    expect(fake.uploads.get(task.id!)!.upload.state).toBe('open');
    await task.abort();
    expect(task.status).toBe('aborted');
    expect(fake.calls.delete).toBe(1);
    expect(fake.uploads.get(task.id!)!.upload.state).toBe('aborted');
  });

  it('a signal stop during an abort() still ends ABORTED: abort wins', async () => {
    const fake = new FakeBackend({ partSize: 100, putDelayMs: 5 });
    const ctl = new AbortController();
    let aborting: Promise<void> | null = null;
    const task: UploadTask = startUpload(
      testBytes(1_000),
      {
        ...opts(fake),
        signal: ctl.signal,
        onProgress: (e) => {
          if (e.partsDone !== 2) return;
          aborting = task.abort();
          ctl.abort();
        },
      },
      seams,
    );
    expect(await outcome(task)).toMatchObject({ code: 'ABORTED' });
    await aborting;
    expect(task.status).toBe('aborted');
    expect(fake.calls.delete).toBe(1);
  });
});
