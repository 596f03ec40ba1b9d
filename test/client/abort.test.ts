import { describe, expect, it } from 'vitest';
import { createUpload } from '../../client/upload.ts';
import { FakeBackend, noWait, testBytes } from './fake-backend.ts';

const opts = (fake: FakeBackend) => ({ api: fake.api, token: 't0k', fetch: fake.fetch });
const internals = { retry: noWait };
const tick = () => new Promise((r) => setTimeout(r, 5));

describe('abort and pause', () => {
  it('abort() cancels in-flight PUTs, deletes the session, and rejects with ABORTED', async () => {
    const fake = new FakeBackend({ partSize: 100, putDelayMs: 20 });
    let task: ReturnType<typeof createUpload> | null = null;
    let aborting: Promise<void> | null = null;
    task = createUpload(
      testBytes(2_000),
      {
        ...opts(fake),
        onProgress: (e) => {
          if (e.partsDone === 2) aborting = task!.abort();
        },
      },
      internals,
    );
    const err = await task.done.catch((e) => e);
    expect(err).toMatchObject({ name: 'UploadClientError', code: 'ABORTED' });
    await aborting;
    expect(task.status).toBe('aborted');
    expect(fake.calls.delete).toBe(1);
    expect(fake.uploads.get(task.id!)!.upload.state).toBe('aborted');
    expect(fake.inFlight).toBe(0);
    const attempts = fake.putAttempts;
    await tick();
    expect(fake.putAttempts).toBe(attempts);
    expect(fake.puts.size).toBeLessThan(20);
  });

  it('abort() while the session is being created deletes it once it exists', async () => {
    const fake = new FakeBackend({ partSize: 100 });
    const task = createUpload(testBytes(500), opts(fake), internals);
    const aborting = task.abort();
    await expect(task.done).rejects.toMatchObject({ code: 'ABORTED' });
    await aborting;
    expect(fake.calls.create).toBe(1);
    expect(fake.calls.delete).toBe(1);
    expect(fake.putAttempts).toBe(0);
  });

  it('pause() stops sending; resume() finishes the upload', async () => {
    const fake = new FakeBackend({ partSize: 100, putDelayMs: 5 });
    const bytes = testBytes(1_500);
    let paused = false;
    const task = createUpload(
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
      internals,
    );
    while (task.status !== 'paused') await tick();
    await tick();
    await tick();
    expect(fake.inFlight).toBe(0);
    const attempts = fake.putAttempts;
    await tick();
    expect(fake.putAttempts).toBe(attempts);
    expect(task.progress().partsDone).toBeLessThan(15);
    task.resume();
    const done = await task.done;
    expect(fake.object(done.id)).toEqual(bytes);
    expect(task.status).toBe('completed');
    // Parts recorded during the pause were not forgotten: each part stored once, ledger complete.
    expect(fake.uploads.get(done.id)!.ledger.size).toBe(15);
  });

  it('abort() while paused deletes the session', async () => {
    const fake = new FakeBackend({ partSize: 100, putDelayMs: 5 });
    const task = createUpload(testBytes(1_000), { ...opts(fake), onProgress: () => task.pause() }, internals);
    while (task.status !== 'paused') await tick();
    await task.abort();
    await expect(task.done).rejects.toMatchObject({ code: 'ABORTED' });
    expect(fake.calls.delete).toBe(1);
  });

  it('the caller signal stops without deleting, recording finished parts for a resume', async () => {
    const fake = new FakeBackend({ partSize: 100, putDelayMs: 5 });
    const ctl = new AbortController();
    const task = createUpload(
      testBytes(1_000),
      { ...opts(fake), signal: ctl.signal, onProgress: (e) => e.partsDone === 3 && ctl.abort() },
      internals,
    );
    await expect(task.done).rejects.toMatchObject({ code: 'ABORTED' });
    expect(fake.calls.delete).toBe(0);
    expect(fake.uploads.get(task.id!)!.upload.state).toBe('open');
    expect(fake.uploads.get(task.id!)!.ledger.size).toBeGreaterThanOrEqual(3);
    // A signal that is already aborted stops before any request.
    const early = new FakeBackend({ partSize: 100 });
    const pre = new AbortController();
    pre.abort();
    await expect(createUpload(testBytes(10), { ...opts(early), signal: pre.signal }).done).rejects.toMatchObject({
      code: 'ABORTED',
    });
    expect(early.totalApiCalls).toBe(0);
  });
});
