import { describe, expect, it } from 'vitest';
import type { ApiClient } from '../../client/api-client.ts';
import { parseRetryAfter, pollDelay } from '../../client/complete-wait.ts';
import { buildApiClient } from '../../client/http-api-client.ts';
import { type RetryPolicy, retryPolicy, sleep } from '../../client/retry.ts';
import type { Upload } from '../../client/types.ts';
import { crc64 } from '../../shared/core/crc64.ts';
import { type AssemblyPlan, FakeBackend, testBytes } from './fake-backend.ts';

/** `ApiClient.complete` when COS assembles for longer than the request: 202, then polls. */

/** A fake clock that `sleep` advances, and the waits asked for: no test here really waits. */
function fakeTime() {
  const clock = { now: 1_000_000, sleeps: [] as number[] };
  const policy = retryPolicy(
    { retries: 2 },
    {
      random: () => 0,
      sleep: async (ms, signal) => {
        signal?.throwIfAborted();
        clock.sleeps.push(ms);
        clock.now += ms;
      },
    },
  );
  return { clock, policy, now: () => clock.now };
}

const client = (fake: FakeBackend, retry: RetryPolicy, now?: () => number) =>
  buildApiClient({ baseUrl: fake.api, token: 't0k', fetch: fake.fetch }, { retry, now });

/** An upload of `parts` parts, all PUT and recorded: ready to complete. */
async function readyUpload(fake: FakeBackend, api: ApiClient, parts = 3): Promise<Upload> {
  const bytes = testBytes(parts * 100);
  const upload = await api.create({ fileName: 'a.bin', size: bytes.length, contentType: 'application/octet-stream' });
  const urls = await api.partUrls(
    upload.id,
    Array.from({ length: parts }, (_, i) => i + 1),
  );
  const recorded = [];
  for (const u of urls) {
    const body = bytes.subarray((u.partNumber - 1) * 100, u.partNumber * 100);
    const res = await fake.fetch(u.url, { method: 'PUT', headers: u.headers, body: body as Uint8Array<ArrayBuffer> });
    recorded.push({ partNumber: u.partNumber, etag: res.headers.get('etag')!, crc64: crc64(body).toString() });
  }
  await api.recordParts(upload.id, recorded);
  return upload;
}

function setup(plan: (attempt: number) => AssemblyPlan | undefined, retries?: number) {
  const time = fakeTime();
  const fake = new FakeBackend({ partSize: 100, now: time.now, assemble: ({ attempt }) => plan(attempt) });
  const policy = retries === undefined ? time.policy : { ...time.policy, retries };
  return { ...time, fake, api: client(fake, policy, time.now) };
}

describe('complete answered 202', () => {
  it('polls GET after the Retry-After, backing off ×1.5, until completed', async () => {
    const { fake, api, clock } = setup(() => ({ polls: 3, retryAfter: 3 }));
    const up = await readyUpload(fake, api);
    const seen: string[] = [];
    const done = await api.complete(up.id, undefined, { onAssembling: (u) => seen.push(u.state) });
    expect(done).toMatchObject({ id: up.id, state: 'completed', crc64Verified: true, lastError: null });
    expect(fake.calls.complete).toBe(1);
    expect(fake.calls.get).toBe(4);
    expect(clock.sleeps).toEqual([3000, 4500, 6750, 10125]);
    // Once for the 202, once per poll that still saw `completing`.
    expect(seen).toEqual(['completing', 'completing', 'completing', 'completing']);
  });

  it('without a Retry-After starts at 1 s and is capped at 15 s', async () => {
    const { fake, api, clock } = setup(() => ({ polls: 9, retryAfter: null }));
    const up = await readyUpload(fake, api);
    await api.complete(up.id);
    expect(clock.sleeps).toEqual([1000, 1500, 2250, 3375, 5063, 7594, 11391, 15000, 15000, 15000]);
  });

  it('a Retry-After of 0 still spaces the polls out', async () => {
    const { fake, api, clock } = setup(() => ({ polls: 2, retryAfter: 0 }));
    const up = await readyUpload(fake, api);
    await api.complete(up.id);
    expect(clock.sleeps).toEqual([250, 375, 563]);
  });

  it('waiting is not failing: with no retries left, 20 polls still end completed', async () => {
    const { fake, api } = setup(() => ({ polls: 20 }), 0);
    const up = await readyUpload(fake, api);
    await expect(api.complete(up.id)).resolves.toMatchObject({ state: 'completed' });
    expect(fake.calls.get).toBe(21);
  });

  it('a poll that fails with a 503 or a dropped connection is retried like any call', async () => {
    const time = fakeTime();
    const fake = new FakeBackend({
      partSize: 100,
      now: time.now,
      assemble: () => ({ polls: 2 }),
      apiFault: ({ route, attempt }) =>
        route === 'get' && attempt === 0
          ? { status: 503, code: 'STORE_UNAVAILABLE' }
          : route === 'get' && attempt === 2
            ? 'network'
            : undefined,
    });
    const api = client(fake, time.policy, time.now);
    const up = await readyUpload(fake, api);
    await expect(api.complete(up.id)).resolves.toMatchObject({ state: 'completed' });
    expect(fake.calls.get).toBe(5);
  });

  it('a completed upload: complete answers 200 at once, no poll', async () => {
    const { fake, api, clock } = setup(() => undefined);
    const up = await readyUpload(fake, api);
    await api.complete(up.id);
    await expect(api.complete(up.id)).resolves.toMatchObject({ state: 'completed' });
    expect(fake.calls.get).toBe(0);
    expect(clock.sleeps).toEqual([]);
  });

  it('a merge that fails in the background rejects like the synchronous 409, with the reopened upload', async () => {
    const { fake, api } = setup(() => ({ lose: [2] }));
    const up = await readyUpload(fake, api);
    const err = await api.complete(up.id).catch((e: unknown) => e);
    expect(err).toMatchObject({
      name: 'UploadClientError',
      status: 409,
      code: 'PARTS_INVALID',
      message: 'parts changed during the merge',
      details: { missing: [2], wrongSize: [], etagMismatch: [] },
      retryable: false,
      upload: { id: up.id, state: 'open', lastError: { code: 'PARTS_INVALID' } },
    });
  });

  it('an upload that ends aborted while assembling fails with UPLOAD_NOT_OPEN and the lastError', async () => {
    const lastError = { code: 'ASSEMBLY_LOST', message: 'COS lost the upload and no object appeared' };
    const { fake, api } = setup(() => ({ polls: 2, outcome: { state: 'aborted', lastError } }));
    const up = await readyUpload(fake, api);
    const err = await api.complete(up.id).catch((e: unknown) => e);
    expect(err).toMatchObject({
      status: 409,
      code: 'UPLOAD_NOT_OPEN',
      message: expect.stringContaining('aborted: COS lost the upload'),
      details: { state: 'aborted', lastError: { code: 'ASSEMBLY_LOST' } },
    });
  });

  it('a transient background failure is completed again within the retry budget', async () => {
    const transient = { lastError: { code: 'STORAGE_UNAVAILABLE', message: 'COS failed' } };
    const ok = setup((attempt) => (attempt === 0 ? { outcome: transient } : { polls: 1 }));
    const up = await readyUpload(ok.fake, ok.api);
    await expect(ok.api.complete(up.id)).resolves.toMatchObject({ state: 'completed', lastError: null });
    expect(ok.fake.calls.complete).toBe(2);

    const spent = setup(() => ({ outcome: transient }), 1);
    const up2 = await readyUpload(spent.fake, spent.api);
    await expect(spent.api.complete(up2.id)).rejects.toMatchObject({
      status: 503,
      code: 'STORAGE_UNAVAILABLE',
      retryable: true,
    });
    expect(spent.fake.calls.complete).toBe(2);
  });

  it('a poll that finds the upload open without lastError completes again', async () => {
    const { fake, api } = setup((attempt) => (attempt === 0 ? { polls: 1 } : undefined));
    const up = await readyUpload(fake, api);
    let lost = false;
    const fetch = (url: string, init?: RequestInit) => {
      // The server lost track of the assembly: the first poll finds the upload open again.
      if (!lost && init?.method === 'GET') {
        lost = true;
        fake.uploads.get(up.id)!.upload.state = 'open';
      }
      return fake.fetch(url, init);
    };
    const retry = fakeTime().policy;
    const api2 = buildApiClient({ baseUrl: fake.api, token: 't0k', fetch }, { retry });
    await expect(api2.complete(up.id)).resolves.toMatchObject({ state: 'completed' });
    expect(fake.calls.complete).toBe(2);
  });

  it('timeoutMs gives up with COMPLETE_TIMEOUT on the fake clock; the assembly goes on', async () => {
    const { fake, api, clock } = setup(() => ({ untilMs: clock.now + 60_000, retryAfter: 5 }));
    const up = await readyUpload(fake, api);
    const err = await api.complete(up.id, undefined, { timeoutMs: 20_000 }).catch((e: unknown) => e);
    expect(err).toMatchObject({
      code: 'COMPLETE_TIMEOUT',
      retryable: true,
      details: { uploadId: up.id, state: 'completing', waitedMs: 20_000 },
      upload: { state: 'completing' },
    });
    // 5 s, 7.5 s, then only what was left of the 20 s.
    expect(clock.sleeps).toEqual([5000, 7500, 7500]);
    clock.now += 60_000;
    await expect(api.complete(up.id)).resolves.toMatchObject({ state: 'completed' });
  });

  it('the signal stops the wait at once, mid-sleep', async () => {
    const fake = new FakeBackend({ partSize: 100, assemble: () => ({ polls: 100, retryAfter: 30 }) });
    // The real sleep: a 30 s Retry-After the abort must cut short.
    const api = client(fake, retryPolicy({}, { sleep, random: () => 0 }));
    const up = await readyUpload(fake, api);
    const ctl = new AbortController();
    const started = Date.now();
    const err = await api
      .complete(up.id, ctl.signal, { onAssembling: () => setTimeout(() => ctl.abort(), 5) })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'STOPPED' });
    expect(Date.now() - started).toBeLessThan(1000);
    expect(fake.calls.get).toBe(0);
  });
});

describe('poll timing', () => {
  it('jitter only lengthens a wait, by at most 20%; a Retry-After above the cap is honoured', () => {
    for (const r of [0, 0.3, 0.999]) {
      const d = pollDelay(2000, 1, () => r);
      expect(d).toBeGreaterThanOrEqual(3000);
      expect(d).toBeLessThanOrEqual(3600);
    }
    expect(pollDelay(1000, 50, () => 0)).toBe(15_000);
    expect(pollDelay(40_000, 3, () => 0)).toBe(40_000);
  });

  it('reads Retry-After as seconds or as an HTTP date', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('4', now)).toBe(4000);
    expect(parseRetryAfter(' 0 ', now)).toBe(0);
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:10 GMT', now)).toBe(10_000);
    expect(parseRetryAfter('Wed, 31 Dec 2025 00:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeNull();
    expect(parseRetryAfter(null, now)).toBeNull();
  });
});
