import { describe, expect, it } from 'vitest';
import { type UploadManyProgress, uploadMany } from '../../client/upload.ts';
import { runUploadMany } from '../../client/upload-many.ts';
import { crc64 } from '../../shared/core/crc64.ts';
import { FakeBackend, noWait, testBytes } from './fake-backend.ts';

const opts = (fake: FakeBackend) => ({ baseUrl: fake.api, token: 't0k', fetch: fake.fetch });
const files = (n: number, size = 100) =>
  Array.from({ length: n }, (_, i) => ({ source: testBytes(size + (i % 7), i + 1), fileName: `f${i}.bin` }));

describe('uploadMany', () => {
  it('250 small files: a handful of batch creates and completes, no part-urls; every object is its source', async () => {
    const fake = new FakeBackend({ partSize: 1000, singleMax: 1000 });
    const set = files(250);
    const results = await uploadMany(set, { ...opts(fake), concurrency: 8, completeDelayMs: 60_000 });
    expect(results.map((r) => r.state)).toEqual(Array(250).fill('completed'));
    for (const [i, r] of results.entries()) {
      expect(r.index).toBe(i);
      if (r.state !== 'completed') throw new Error('not completed');
      expect(r.upload.fileName).toBe(`f${i}.bin`);
      expect(fake.object(r.upload.id)).toEqual(set[i]!.source);
    }
    // A small first batch so the first PUTs start early, then as many as 100 open sessions allow,
    // in halves: one half is sent while the other is completed.
    expect(fake.batchSizes.batchCreate).toEqual([16, 84, 50, 50, 50]);
    expect(fake.calls.create).toBe(0);
    expect(fake.calls.partUrls).toBe(0);
    expect(fake.calls.complete).toBe(0);
    expect(fake.calls.record).toBe(0);
    // Half the open budget (50) goes at once, the rest when nothing is left sending.
    expect(fake.calls.batchComplete).toBeLessThanOrEqual(Math.ceil(250 / 50) + 1);
    expect(Math.min(...fake.batchSizes.batchComplete.slice(0, -1))).toBeGreaterThanOrEqual(50);
    expect(fake.batchSizes.batchComplete.reduce((a, b) => a + b, 0)).toBe(250);
    expect(fake.totalApiCalls).toBeLessThanOrEqual(11);
    expect(fake.putAttempts).toBe(250);
  });

  it('counts part PUTs in flight across files, and large files get their URLs and ledger as today', async () => {
    const fake = new FakeBackend({ partSize: 100, singleMax: 100, putDelayMs: 2 });
    const set = [{ source: testBytes(2_050, 9), fileName: 'big.bin' }, ...files(30, 50)];
    const results = await uploadMany(set, { ...opts(fake), concurrency: 3 });
    expect(results.every((r) => r.state === 'completed')).toBe(true);
    expect(fake.maxInFlight).toBe(3);
    const big = results[0]!;
    if (big.state !== 'completed') throw new Error('big failed');
    expect(big.upload.partCount).toBe(21);
    expect(fake.object(big.upload.id)).toEqual(set[0]!.source);
    // Part 1 came with the create; parts 2..21 in one part-urls call; one ledger record.
    expect(fake.partUrlRequests).toEqual([Array.from({ length: 20 }, (_, i) => i + 2)]);
    expect(fake.calls.record).toBe(1);
  });

  it('aggregate progress reaches the totals', async () => {
    const fake = new FakeBackend({ partSize: 100, singleMax: 100 });
    const set = [{ source: testBytes(1_000, 3) }, ...files(20, 60)];
    const total = set.reduce((n, f) => n + f.source.length, 0);
    const events: UploadManyProgress[] = [];
    await uploadMany(set, { ...opts(fake), onProgress: (p) => events.push(p) });
    const last = events.at(-1)!;
    expect(last).toMatchObject({ filesTotal: 21, filesDone: 21, filesCompleted: 21, totalBytes: total });
    expect(last.bytesSent).toBe(total);
    for (let i = 1; i < events.length; i++) {
      expect(events[i]!.bytesSent).toBeGreaterThanOrEqual(events[i - 1]!.bytesSent);
      expect(events[i]!.filesDone).toBeGreaterThanOrEqual(events[i - 1]!.filesDone);
    }
  });

  it("a file's failure does not stop the others: refused at create, or its PUT refused", async () => {
    const fake = new FakeBackend({
      partSize: 1000,
      singleMax: 1000,
      createFault: (b) => (b.fileName === 'f3.bin' ? { status: 400, code: 'CONTENT_TYPE_NOT_ALLOWED' } : undefined),
      cosFault: (c) => (c.fileName === 'f7.bin' ? { status: 400 } : undefined),
    });
    const results = await runUploadMany(files(12), opts(fake), { retry: noWait });
    const states = results.map((r) => r.state);
    expect(states.filter((s) => s === 'completed')).toHaveLength(10);
    const refused = results[3]!;
    expect(refused).toMatchObject({ state: 'failed', upload: null });
    // With the status the single create sends that code with, as if create had been called alone.
    if (refused.state === 'failed')
      expect([refused.error.code, refused.error.status]).toEqual(['CONTENT_TYPE_NOT_ALLOWED', 415]);
    const putFailed = results[7]!;
    expect(putFailed.state).toBe('failed');
    // The session exists, so the result carries it for a resume.
    if (putFailed.state === 'failed') expect(putFailed.upload?.fileName).toBe('f7.bin');
  });

  it('skipExisting: files the server already has are skipped (dedupe), the new ones sent', async () => {
    const fake = new FakeBackend({ partSize: 1000, singleMax: 1000 });
    const set = files(10);
    await uploadMany(set.slice(0, 6), opts(fake));
    const puts = fake.putAttempts;
    const events: UploadManyProgress[] = [];
    const results = await uploadMany(set, { ...opts(fake), skipExisting: true, onProgress: (p) => events.push(p) });
    expect(results.map((r) => r.state)).toEqual([...Array(6).fill('skipped'), ...Array(4).fill('completed')]);
    expect(fake.putAttempts - puts).toBe(4);
    const first = results[0]!;
    if (first.state !== 'skipped') throw new Error('not skipped');
    expect(first.upload.crc64).toBe(crc64(set[0]!.source).toString());
    const last = events.at(-1)!;
    expect(last).toMatchObject({ filesSkipped: 6, filesCompleted: 4, filesDone: 10 });
    expect(last.bytesSent).toBe(last.totalBytes);
    expect(last.skippedBytes).toBe(set.slice(0, 6).reduce((n, f) => n + f.source.length, 0));
  });

  it('sends an Idempotency-Key per batch, the same on its retries', async () => {
    const fake = new FakeBackend({
      partSize: 1000,
      singleMax: 1000,
      apiFault: ({ route, attempt }) => (route === 'batchCreate' && attempt === 0 ? { status: 503 } : undefined),
    });
    const results = await runUploadMany(files(150), opts(fake), { retry: noWait });
    expect(results.every((r) => r.state === 'completed')).toBe(true);
    const [a, b, c] = fake.idempotencyKeys;
    // Three batches (16, 100, 34), the first one sent twice.
    expect(fake.idempotencyKeys).toHaveLength(4);
    expect(new Set(fake.idempotencyKeys).size).toBe(3);
    expect(a).toMatch(/^batch-/);
    expect(b).toBe(a);
    expect(c).not.toBe(a);
  });

  it('keeps at most maxOpenUploads sessions open, so the quota is never hit', async () => {
    const fake = new FakeBackend({ partSize: 1000, singleMax: 1000, maxOpen: 30 });
    const results = await uploadMany(files(100), { ...opts(fake), maxOpenUploads: 30, completeDelayMs: 5 });
    expect(results.every((r) => r.state === 'completed')).toBe(true);
    expect(Math.max(...fake.batchSizes.batchCreate)).toBeLessThanOrEqual(30);
  });

  it('without maxOpenUploads, keeps open what GET /v1/limits allows: fuller batches where the quota is larger', async () => {
    const fake = new FakeBackend({ partSize: 1000, singleMax: 1000, maxOpen: 1000 });
    const limitsReads: string[] = [];
    const withLimits = ((url: string, init?: RequestInit) => {
      if (new URL(url).pathname !== '/v1/limits') return fake.fetch(url, init);
      limitsReads.push(url);
      return Promise.resolve(Response.json({ maxOpenUploadsPerOwner: 1000 }));
    }) as typeof fake.fetch;
    const results = await uploadMany(files(250), { ...opts(fake), fetch: withLimits, completeDelayMs: 60_000 });
    expect(results.every((r) => r.state === 'completed')).toBe(true);
    expect(limitsReads).toEqual([`${fake.api}/v1/limits`]);
    // A budget of 1,000: full batches of 100 (after the small first one), none in halves.
    expect(fake.batchSizes.batchCreate).toEqual([16, 100, 100, 34]);
    expect(Math.min(...fake.batchSizes.batchComplete.slice(0, -1))).toBe(100);
  });

  it("a profile's quota bounds the sessions kept open, and every create names the profile", async () => {
    const fake = new FakeBackend({ partSize: 1000, singleMax: 1000, maxOpen: 20 });
    const profiles: unknown[] = [];
    const withLimits = ((url: string, init?: RequestInit) => {
      if (new URL(url).pathname === '/v1/limits') {
        return Promise.resolve(
          Response.json({ maxOpenUploadsPerOwner: 100, profiles: { photos: { maxOpenUploadsPerOwner: 20 } } }),
        );
      }
      if (url.endsWith('/v1/uploads/batch')) {
        for (const u of (JSON.parse(String(init?.body)) as { uploads: { profile?: string }[] }).uploads) {
          profiles.push(u.profile);
        }
      }
      return fake.fetch(url, init);
    }) as typeof fake.fetch;
    const results = await runUploadMany(
      files(60),
      { ...opts(fake), fetch: withLimits, profile: 'photos', completeDelayMs: 5 },
      { retry: noWait },
    );
    expect(results.every((r) => r.state === 'completed')).toBe(true);
    expect(profiles).toEqual(Array(60).fill('photos'));
    // Never a create past the profile's 20 (the first batch waited for the limits' answer or fit).
    expect(fake.batchSizes.batchCreate.slice(1).every((n) => n <= 20)).toBe(true);
    expect(fake.calls.batchCreate).toBe(fake.batchSizes.batchCreate.length);
  });

  it('md5 and trafficLimit: each file gets its URL from part-urls with its MD5 and the limit, none from create', async () => {
    const fake = new FakeBackend({ partSize: 1000, singleMax: 1000 });
    const set = files(12);
    const results = await uploadMany(set, { ...opts(fake), md5: true, trafficLimit: 1_048_576 });
    expect(results.every((r) => r.state === 'completed')).toBe(true);
    expect(fake.calls.batchCreate).toBe(1);
    expect(fake.partUrlBodies).toHaveLength(12);
    for (const b of fake.partUrlBodies) {
      expect(b.numbers).toEqual([1]);
      expect(b.md5s?.[0]?.md5).toMatch(/^[A-Za-z0-9+/]{22}==$/);
      expect(b.trafficLimit).toBe(1_048_576);
    }
    for (const r of results)
      if (r.state === 'completed') expect(fake.object(r.upload.id)).toEqual(set[r.index]!.source);
  });

  it('a quota hit past our own open sessions waits for them instead of failing the files', async () => {
    const fake = new FakeBackend({ partSize: 1000, singleMax: 1000, maxOpen: 25 });
    const results = await runUploadMany(files(60), { ...opts(fake), completeDelayMs: 5 }, { retry: noWait });
    expect(results.every((r) => r.state === 'completed')).toBe(true);
  });

  it('a completing item (202) is waited for with the single-file polling', async () => {
    const fake = new FakeBackend({
      partSize: 1000,
      singleMax: 1000,
      assemble: ({ uploadId }) => (uploadId.endsWith('2') ? { polls: 2, retryAfter: 0 } : undefined),
    });
    const results = await runUploadMany(files(5), opts(fake), { retry: noWait });
    expect(results.every((r) => r.state === 'completed')).toBe(true);
    expect(fake.calls.batchComplete).toBe(1);
    // The completing one: complete again (202), then GETs until it is done.
    expect(fake.calls.complete).toBe(1);
    expect(fake.calls.get).toBeGreaterThanOrEqual(1);
  });

  it('a stop leaves unfinished files failed with STOPPED, their sessions kept for a resume', async () => {
    const fake = new FakeBackend({ partSize: 1000, singleMax: 1000, putDelayMs: 5 });
    const stop = new AbortController();
    let done = 0;
    const set = files(40);
    const results = await uploadMany(set, {
      ...opts(fake),
      concurrency: 2,
      completeDelayMs: 0,
      signal: stop.signal,
      onFileDone: () => {
        if (++done === 5) stop.abort('test');
      },
    });
    const stopped = results.filter((r) => r.state === 'failed');
    expect(stopped.length).toBeGreaterThan(0);
    for (const r of stopped) if (r.state === 'failed') expect(r.error.code).toBe('STOPPED');
    // Resume: the ones with a session by uploadId, the rest created afresh.
    const again = await uploadMany(
      results
        .map((r, i) =>
          r.state === 'completed' ? null : { ...set[i]!, ...(r.upload ? { uploadId: r.upload.id } : {}) },
        )
        .filter((x) => x !== null),
      opts(fake),
    );
    expect(again.every((r) => r.state === 'completed')).toBe(true);
    expect(again.length + results.filter((r) => r.state === 'completed').length).toBe(40);
  });

  it('rejects bad options before any request', async () => {
    const fake = new FakeBackend({ partSize: 1000 });
    await expect(uploadMany(files(1), { ...opts(fake), batchSize: 101 })).rejects.toMatchObject({
      code: 'INVALID_OPTIONS',
    });
    expect(fake.totalApiCalls).toBe(0);
  });
});
