/**
 * The Uppy plugin (client/uppy.ts) driven by real Uppy — @uppy/core, @uppy/dashboard and
 * @uppy/golden-retriever from npm, bundled into the `/uppy` page — in headless Chromium against
 * the local stack and its strict COS emulator. Every object is read back and compared byte for
 * byte.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Upload } from '../../client/types.ts';
import { type E2eStack, launchChromium, randomBytes, readObject, startE2eStack } from './helpers.ts';

const MiB = 1024 * 1024;
/** Low enough that the many-files test trips it; every other test keeps fewer uploads open. */
const QUOTA = 3;
/** What `/v1/limits` then reports, and the page's Uppy must take as restrictions. */
const MAX_UPLOAD_BYTES = 64 * MiB;
const ALLOWED_TYPES = ['application/octet-stream', 'image/*'];
/** Above this an upload is multipart (the default, 20 MiB, would make every multipart test big). */
const SINGLE_MAX = 4 * MiB;

interface Seen {
  url: string;
  method: string;
}

interface Opened {
  page: Page;
  requests: Seen[];
  statuses: { url: string; method: string; status: number }[];
  /** The answers of `POST /v1/uploads/batch`, read as they arrive. */
  batchAnswers: Promise<{ results: { upload?: Upload; error?: { code: string } }[] }>[];
  errors: string[];
}

/** What the page's listeners recorded (installed by `open`). */
interface PageEvent {
  type: 'upload-success' | 'upload-error' | 'upload-progress';
  fileId: string;
  state?: string;
  uploadURL?: string;
  bytesUploaded?: number;
  code?: string;
  message?: string;
}

describe('Uppy with the CosUpload plugin in headless Chromium', () => {
  let e2e: E2eStack;
  let browser: Browser;
  let api: string;
  beforeAll(async () => {
    e2e = await startE2eStack({
      MAX_OPEN_UPLOADS_PER_OWNER: String(QUOTA),
      MAX_UPLOAD_BYTES: String(MAX_UPLOAD_BYTES),
      ALLOWED_CONTENT_TYPES: ALLOWED_TYPES.join(','),
      SINGLE_PUT_MAX_BYTES: String(SINGLE_MAX),
    });
    api = e2e.stack.apiUrl;
    browser = await launchChromium();
  });
  afterEach(() => e2e?.stack.emulator.faults.clear());
  afterAll(async () => {
    await browser?.close();
    await e2e?.close();
  });

  const getUpload = async (token: string, id: string) => {
    const res = await fetch(`${api}/v1/uploads/${id}`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
    return (await res.json()) as { upload: Upload; parts: unknown[] };
  };

  /** A fresh browser context (its own IndexedDB) on `/uppy`, with requests and events recorded. */
  async function open(token: string, query: Record<string, string> = {}): Promise<Opened> {
    const context = await browser.newContext();
    const page = await context.newPage();
    const requests: Seen[] = [];
    const statuses: Opened['statuses'] = [];
    const batchAnswers: Opened['batchAnswers'] = [];
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('request', (r) => requests.push({ url: r.url(), method: r.method() }));
    page.on('response', (r) => {
      statuses.push({ url: r.url(), method: r.request().method(), status: r.status() });
      if (isCall(r.request().method(), r.url(), 'POST', '/v1/uploads/batch')) batchAnswers.push(r.json());
    });
    const qs = new URLSearchParams({ token, ...query });
    await page.goto(`${api}/uppy?${qs}`);
    await listen(page);
    return { page, requests, statuses, batchAnswers, errors };
  }

  /** Records the plugin's events in the page, as an app would hear them. */
  async function listen(page: Page): Promise<void> {
    await page.waitForFunction(() => typeof window.uppy === 'object');
    await page.evaluate(() => {
      const events: unknown[] = [];
      (window as unknown as { events: unknown[] }).events = events;
      window.uppy.on('upload-success', (file, res) =>
        events.push({
          type: 'upload-success',
          fileId: file?.id,
          state: res.body?.upload.state,
          uploadURL: res.uploadURL,
        }),
      );
      window.uppy.on('upload-error', (file, error) => {
        const e = error as { code?: string; message: string };
        events.push({ type: 'upload-error', fileId: file?.id, code: e.code, message: e.message });
      });
      window.uppy.on('upload-progress', (file, p) =>
        events.push({ type: 'upload-progress', fileId: file?.id, bytesUploaded: p.bytesUploaded }),
      );
    });
  }

  const events = (page: Page) => page.evaluate(() => (window as unknown as { events: PageEvent[] }).events);

  /** Adds files whose bytes are made in the page (the same generator as `randomBytes`). */
  function addGenerated(page: Page, files: { name: string; size: number; seed: number }[]): Promise<string[]> {
    return page.evaluate((list) => {
      return list.map(({ name, size, seed }) => {
        const out = new Uint8Array(size);
        const words = new Uint32Array(out.buffer, 0, Math.floor(size / 4));
        let x = seed >>> 0 || 1;
        for (let i = 0; i < words.length; i++) {
          x ^= x << 13;
          x ^= x >>> 17;
          x ^= x << 5;
          words[i] = x >>> 0;
        }
        for (let i = words.length * 4; i < size; i++) out[i] = i & 0xff;
        const type = 'application/octet-stream';
        return window.uppy.addFile({ name, type, data: new File([out], name, { type }) });
      });
    }, files);
  }

  const fileState = (page: Page, id: string) =>
    page.evaluate((fid) => {
      const f = window.uppy.getFile(fid);
      if (!f) return null;
      return {
        uploadId: (f.meta as { cosUploadId?: string }).cosUploadId ?? null,
        bytesUploaded: f.progress.bytesUploaded || 0,
        complete: !!f.progress.uploadComplete,
        isPaused: !!f.isPaused,
        error: f.error ?? null,
        upload: (f.response?.body?.upload as Upload | undefined) ?? null,
        uploadURL: f.uploadURL ?? null,
      };
    }, id);

  const uploadIdOf = async (page: Page, id: string) => {
    await expect.poll(async () => (await fileState(page, id))?.uploadId, { timeout: 20_000 }).toMatch(/^upl_/);
    return (await fileState(page, id))!.uploadId!;
  };

  const cosPuts = (requests: Seen[]) =>
    requests.filter((r) => r.method === 'PUT' && r.url.startsWith(e2e.stack.cosUrl));

  const isCall = (method: string, url: string, wantMethod: string, path: string | RegExp) =>
    method === wantMethod &&
    url.startsWith(`${api}/v1/`) &&
    (typeof path === 'string' ? new URL(url).pathname === path : path.test(new URL(url).pathname));
  /** The requests that were `method path` calls of the API. */
  const calls = (requests: Seen[], method: string, path: string | RegExp) =>
    requests.filter((r) => isCall(r.method, r.url, method, path));
  /** Calls that open sessions: per-file creates and batch creates. */
  const creates = (requests: Seen[]) => [
    ...calls(requests, 'POST', '/v1/uploads'),
    ...calls(requests, 'POST', '/v1/uploads/batch'),
  ];

  it('uploads a 3 MiB and a 40 MiB file picked in the Dashboard, byte-exact, in few API calls', async () => {
    const token = await e2e.stack.token('uppy-basic');
    const small = randomBytes(3 * MiB, 31);
    const large = randomBytes(40 * MiB, 32);
    const smallPath = join(e2e.dir, 'small clip.bin');
    const largePath = join(e2e.dir, 'large clip.bin');
    writeFileSync(smallPath, small);
    writeFileSync(largePath, large);
    const o = await open(token);
    const { page } = o;

    // Picked through Dashboard's own file input, then its Upload button.
    await page.setInputFiles('.uppy-Dashboard-input >> nth=0', [smallPath, largePath]);
    await expect.poll(() => page.evaluate(() => window.uppy.getFiles().length)).toBe(2);
    const ids = await page.evaluate(() =>
      Object.fromEntries(window.uppy.getFiles().map((f) => [f.name, f.id] as [string, string])),
    );
    await page.click('.uppy-StatusBar-actionBtn--upload');
    await expect.poll(() => page.locator('#results li').count(), { timeout: 45_000 }).toBe(2);

    for (const [name, bytes] of [
      ['small clip.bin', small],
      ['large clip.bin', large],
    ] as const) {
      const st = (await fileState(page, ids[name]!))!;
      expect(st.complete).toBe(true);
      expect(st.upload).toMatchObject({ id: st.uploadId, state: 'completed', size: bytes.length });
      expect(st.uploadURL).toBe(st.upload!.location);
      expect(st.upload!.location).toMatch(/^http/);
      const { upload } = await getUpload(token, st.uploadId!);
      expect(upload).toMatchObject({ state: 'completed', key: st.upload!.key, etag: st.upload!.etag });
      expect(Buffer.compare(await readObject(e2e.stack, upload.key), bytes)).toBe(0);
    }
    const small1 = (await fileState(page, ids['small clip.bin']!))!;
    const large1 = (await fileState(page, ids['large clip.bin']!))!;
    expect(small1.upload!.strategy).toBe('single');
    expect(large1.upload!.strategy).toBe('multipart');

    // upload-success came once per file, after the API said completed, and after progress reached the size.
    const seen = await events(page);
    const successes = seen.filter((e) => e.type === 'upload-success');
    expect(successes.map((e) => e.state)).toEqual(['completed', 'completed']);
    expect(seen.filter((e) => e.type === 'upload-error')).toEqual([]);
    const lastProgress = seen.filter((e) => e.type === 'upload-progress' && e.fileId === ids['large clip.bin']).at(-1);
    expect(lastProgress?.bytesUploaded).toBe(large.length);

    // Both picked at once: their sessions in one batch create, each with part 1's URL.
    const apiCalls = o.requests.filter((r) => r.url.startsWith(`${api}/v1/`));
    expect(calls(o.requests, 'POST', '/v1/uploads')).toEqual([]);
    expect(calls(o.requests, 'POST', '/v1/uploads/batch')).toHaveLength(1);
    // Each file's complete went in a batch-complete (they end apart: one each).
    expect(calls(o.requests, 'POST', '/v1/uploads/batch-complete').length).toBeLessThanOrEqual(2);
    // API calls per file: each id's own calls, plus its share of the batch create.
    const callsFor = (uploadId: string) => 1 + apiCalls.filter((r) => r.url.includes(`/v1/uploads/${uploadId}`)).length;
    expect(callsFor(small1.uploadId!)).toBeLessThanOrEqual(2);
    expect(callsFor(large1.uploadId!)).toBeLessThanOrEqual(6);
    // Beyond the uploads, at most the one limits read at install.
    const others = apiCalls.filter((r) => !new URL(r.url).pathname.startsWith('/v1/uploads'));
    expect(others.map((r) => new URL(r.url).pathname)).toEqual(['/v1/limits']);
    expect(o.errors).toEqual([]);
    await page.context().close();
  });

  it('12 small files picked at once: sessions in batch creates, completes in batch-completes, byte-exact', async () => {
    const token = await e2e.stack.token('uppy-batch');
    const limit = QUOTA;
    const files = Array.from({ length: 12 }, (_, i) => ({
      name: `batch-${i}.bin`,
      bytes: randomBytes(48 * 1024 + i * 1000, 90 + i),
    }));
    const paths = files.map((f) => {
      const path = join(e2e.dir, f.name);
      writeFileSync(path, f.bytes);
      return path;
    });
    const o = await open(token, { limit: String(limit) });
    const { page } = o;
    await page.setInputFiles('.uppy-Dashboard-input >> nth=0', paths);
    await expect.poll(() => page.evaluate(() => window.uppy.getFiles().length)).toBe(files.length);
    await page.click('.uppy-StatusBar-actionBtn--upload');
    await expect.poll(() => page.locator('#results li').count(), { timeout: 45_000 }).toBe(files.length);

    const ids = await page.evaluate(() =>
      Object.fromEntries(window.uppy.getFiles().map((f) => [f.name, f.id] as [string, string])),
    );
    for (const f of files) {
      const st = (await fileState(page, ids[f.name]!))!;
      expect(st.complete, f.name).toBe(true);
      const { upload } = await getUpload(token, st.uploadId!);
      expect(upload).toMatchObject({ state: 'completed', strategy: 'single', size: f.bytes.length });
      expect(Buffer.compare(await readObject(e2e.stack, upload.key), f.bytes), f.name).toBe(0);
    }
    // Each group of files holding the slots ended together, so the next group was created together.
    const batchCreates = calls(o.requests, 'POST', '/v1/uploads/batch');
    expect(batchCreates.length).toBeLessThanOrEqual(Math.ceil(files.length / limit) + 1);
    const items = (await Promise.all(o.batchAnswers)).flatMap((a) => a.results);
    expect(items.filter((r) => r.upload)).toHaveLength(files.length);
    expect(calls(o.requests, 'POST', '/v1/uploads')).toEqual([]);
    expect(calls(o.requests, 'POST', /\/part-urls$/)).toEqual([]);
    expect(calls(o.requests, 'POST', /^\/v1\/uploads\/upl_[^/]+\/complete$/)).toEqual([]);
    expect(calls(o.requests, 'POST', '/v1/uploads/batch-complete').length).toBeLessThanOrEqual(
      Math.ceil(files.length / limit) + 2,
    );
    expect(cosPuts(o.requests)).toHaveLength(files.length);
    expect((await events(page)).filter((e) => e.type === 'upload-error')).toEqual([]);
    expect(o.errors).toEqual([]);
    await page.context().close();
  });

  it('pauses and resumes one file and all files; nothing is sent while paused', async () => {
    const token = await e2e.stack.token('uppy-pause');
    const o = await open(token, { partSize: String(MiB), concurrency: '2' });
    const { page } = o;
    const faults = e2e.stack.emulator.faults;
    faults.add({ op: 'UploadPart', count: 10_000, action: { type: 'delay', ms: 300 } });
    const size = 12 * MiB; // multipart, 1 MiB parts
    const [id] = await addGenerated(page, [{ name: 'pause.bin', size, seed: 41 }]);
    void page.evaluate(() => window.uppy.upload());
    const uploadId = await uploadIdOf(page, id!);

    /**
     * Pauses from the page itself on the first progress event past `atLeast` bytes (a poll from
     * here could come too late on a busy machine), then checks that COS hears no part while
     * paused: the emulator counts every part PUT that reaches it.
     */
    const pausedFor = async (atLeast: number, how: 'file' | 'all', resume: () => Promise<unknown>) => {
      const paused = await page.evaluate(
        ({ fid, atLeast, how }) =>
          new Promise<boolean | undefined>((resolve) => {
            const on = (file: { id: string } | undefined, p: { bytesUploaded: number }) => {
              if (file?.id !== fid || p.bytesUploaded < atLeast) return;
              window.uppy.off('upload-progress', on);
              if (how === 'all') {
                window.uppy.pauseAll();
                resolve(window.uppy.getFile(fid).isPaused);
              } else resolve(window.uppy.pauseResume(fid));
            };
            window.uppy.on('upload-progress', on);
          }),
        { fid: id!, atLeast, how },
      );
      expect(paused).toBe(true);
      await page.waitForTimeout(400); // PUTs already on the wire land, or are cancelled
      const hits = faults.hits;
      await page.waitForTimeout(800);
      expect(faults.hits).toBe(hits);
      const st = (await fileState(page, id!))!;
      expect(st.isPaused).toBe(true);
      expect(st.bytesUploaded).toBeLessThan(size);
      await resume();
      await expect.poll(() => faults.hits, { timeout: 5_000 }).toBeGreaterThan(hits);
    };
    await pausedFor(2 * MiB, 'file', async () =>
      expect(await page.evaluate((fid) => window.uppy.pauseResume(fid), id!)).toBe(false),
    );
    await pausedFor(5 * MiB, 'all', () => page.evaluate(() => window.uppy.resumeAll()));
    await expect.poll(async () => (await fileState(page, id!))!.complete, { timeout: 30_000 }).toBe(true);
    const { upload } = await getUpload(token, uploadId);
    expect(upload.state).toBe('completed');
    expect(Buffer.compare(await readObject(e2e.stack, upload.key), randomBytes(size, 41))).toBe(0);
    expect((await events(page)).filter((e) => e.type === 'upload-error')).toEqual([]);
    expect(o.errors).toEqual([]);
    await page.context().close();
  });

  it('removing a file and cancel-all abort their sessions', async () => {
    const token = await e2e.stack.token('uppy-cancel');
    const o = await open(token, { partSize: String(MiB), concurrency: '2' });
    const { page } = o;
    // Slow parts (each ≥ 1 s) keep both uploads open until they are cancelled.
    e2e.stack.emulator.faults.add({ op: 'UploadPart', count: 10_000, action: { type: 'delay', ms: 1000 } });
    const [a, b] = await addGenerated(page, [
      { name: 'removed.bin', size: 3 * MiB, seed: 51 }, // a single PUT
      { name: 'cancelled.bin', size: 12 * MiB, seed: 52 }, // multipart
    ]);
    void page.evaluate(() => window.uppy.upload());
    const idA = await uploadIdOf(page, a!);
    const idB = await uploadIdOf(page, b!);

    await page.evaluate((fid) => window.uppy.removeFile(fid), a!);
    await expect.poll(async () => (await getUpload(token, idA)).upload.state, { timeout: 10_000 }).toBe('aborted');
    expect((await getUpload(token, idB)).upload.state).toBe('open');

    await page.evaluate(() => window.uppy.cancelAll());
    await expect.poll(async () => (await getUpload(token, idB)).upload.state, { timeout: 10_000 }).toBe('aborted');
    const deletes = o.requests.filter((r) => r.method === 'DELETE').map((r) => new URL(r.url).pathname);
    expect(deletes.sort()).toEqual([`/v1/uploads/${idA}`, `/v1/uploads/${idB}`].sort());
    // A cancel is not a failure, and nothing succeeded.
    const seen = await events(page);
    expect(seen.filter((e) => e.type !== 'upload-progress')).toEqual([]);
    expect(o.errors).toEqual([]);
    await page.context().close();
  });

  it('a reload mid-upload resumes the same session through Golden Retriever', async () => {
    const token = await e2e.stack.token('uppy-reload');
    const size = 16 * MiB; // multipart, 1 MiB parts
    const o = await open(token, { partSize: String(MiB), concurrency: '2', recordIntervalMs: '300' });
    const { page } = o;
    // Slow parts (each ≥ 800 ms) so the reload lands mid-upload however busy the machine is.
    e2e.stack.emulator.faults.add({ op: 'UploadPart', count: 10_000, action: { type: 'delay', ms: 800 } });
    const [id] = await addGenerated(page, [{ name: 'reload.bin', size, seed: 61 }]);
    // Golden Retriever keeps the bytes in IndexedDB: wait until they are stored.
    await expect
      .poll(() =>
        page.evaluate(
          () =>
            new Promise<number>((resolve) => {
              const req = indexedDB.open('uppy-blobs');
              req.onsuccess = () => {
                const db = req.result;
                const count = db.transaction('files').objectStore('files').count();
                count.onsuccess = () => resolve(count.result);
                count.onerror = () => resolve(-1);
              };
              req.onerror = () => resolve(-1);
            }),
        ),
      )
      .toBe(1);
    // The reload ends this call's page context: its promise rejects then.
    page.evaluate(() => window.uppy.upload()).catch(() => {});
    const uploadId = await uploadIdOf(page, id!);
    const recorded = async () => (await getUpload(token, uploadId)).parts.length;
    await expect.poll(recorded, { timeout: 20_000, interval: 100 }).toBeGreaterThanOrEqual(5);
    // Golden Retriever's own snapshot is written at most every 500 ms.
    await page.waitForTimeout(700);
    expect((await getUpload(token, uploadId)).upload.state).toBe('open');

    await page.reload();
    e2e.stack.emulator.faults.clear();
    // Every request of the page before the reload was reported before the reload resolved.
    const sentBefore = o.requests.length;
    await listen(page);
    // Restored: the file is back with its bytes and its upload id; the Dashboard offers to resume.
    await expect.poll(() => page.evaluate(() => window.uppy.getState().recoveredState !== null)).toBe(true);
    expect((await fileState(page, id!))?.uploadId).toBe(uploadId);
    await page.click('.uppy-StatusBar-actionBtn--upload');
    await expect.poll(async () => (await fileState(page, id!))?.complete, { timeout: 30_000 }).toBe(true);

    const st = (await fileState(page, id!))!;
    expect(st.upload).toMatchObject({ id: uploadId, state: 'completed' });
    const { upload } = await getUpload(token, uploadId);
    expect(upload.state).toBe('completed');
    expect(Buffer.compare(await readObject(e2e.stack, upload.key), randomBytes(size, 61))).toBe(0);
    // Only one session was created (before the reload), and fewer parts were sent after it than there are.
    expect(creates(o.requests)).toHaveLength(1);
    expect(creates(o.requests.slice(sentBefore))).toEqual([]);
    const after = cosPuts(o.requests.slice(sentBefore)).length;
    expect(after).toBeGreaterThan(0);
    expect(after).toBeLessThanOrEqual(16 - 5);
    expect((await events(page)).filter((e) => e.type === 'upload-error')).toEqual([]);
    expect(o.errors).toEqual([]);
    await page.context().close();
  });

  it(`uploads more files than the quota (${QUOTA} open) allows at once: sessions open as files start`, async () => {
    const token = await e2e.stack.token('uppy-many');
    const o = await open(token, { limit: String(QUOTA + 1) });
    const { page } = o;
    // Slow PUTs keep the first sessions open while the next file asks for one.
    e2e.stack.emulator.faults.add({ op: 'UploadPart', count: 10_000, action: { type: 'delay', ms: 300 } });
    const files = Array.from({ length: 9 }, (_, i) => ({ name: `many-${i}.bin`, size: 64 * 1024 + i, seed: 70 + i }));
    const ids = await addGenerated(page, files);
    await page.evaluate(() => window.uppy.upload());
    for (const [i, id] of ids.entries()) {
      const st = (await fileState(page, id))!;
      expect(st.complete, files[i]!.name).toBe(true);
      expect(Buffer.compare(await readObject(e2e.stack, st.upload!.key), randomBytes(files[i]!.size, 70 + i))).toBe(0);
    }
    // The quota was hit (items of the batch creates refused) and waited out, never surfaced.
    const items = (await Promise.all(o.batchAnswers)).flatMap((a) => a.results);
    const refused = items.filter((r) => r.error?.code === 'TOO_MANY_OPEN_UPLOADS');
    expect(refused.length).toBeGreaterThan(0);
    expect(items.filter((r) => r.upload)).toHaveLength(files.length);
    expect((await events(page)).filter((e) => e.type === 'upload-error')).toEqual([]);
    expect(o.errors).toEqual([]);
    await page.context().close();
  });

  it('a failed file is retried through Uppy and resumes its session', async () => {
    const token = await e2e.stack.token('uppy-retry');
    const o = await open(token, { partSize: String(MiB), concurrency: '2', recordIntervalMs: '300' });
    const { page } = o;
    const faults = e2e.stack.emulator.faults;
    const size = 12 * MiB; // multipart, 1 MiB parts
    faults.add({ op: 'UploadPart', count: 10_000, action: { type: 'delay', ms: 300 } });
    const [id] = await addGenerated(page, [{ name: 'retry.bin', size, seed: 81 }]);
    const first = page.evaluate(() => window.uppy.upload());
    const uploadId = await uploadIdOf(page, id!);
    await expect
      .poll(async () => (await getUpload(token, uploadId)).parts.length, { timeout: 20_000, interval: 100 })
      .toBeGreaterThanOrEqual(3);
    // Then COS refuses one part PUT for good (a 4xx the client does not repair): the file fails.
    faults.clear();
    faults.add({ op: 'UploadPart', count: 1, action: { type: 'error', status: 400 } });
    await first;
    const failed = (await events(page)).filter((e) => e.type === 'upload-error');
    expect(failed).toEqual([expect.objectContaining({ fileId: id, code: 'COS_ERROR' })]);
    const st = (await fileState(page, id!))!;
    expect(st.error).toContain('COS_ERROR');
    expect(st.uploadId).toBe(uploadId);
    expect((await getUpload(token, uploadId)).upload.state).toBe('open');

    const sentBefore = o.requests.length;
    await page.evaluate((fid) => window.uppy.retryUpload(fid), id!);
    const done = (await fileState(page, id!))!;
    expect(done).toMatchObject({ complete: true, error: null, uploadId });
    expect(done.upload).toMatchObject({ id: uploadId, state: 'completed' });
    const { upload } = await getUpload(token, uploadId);
    expect(Buffer.compare(await readObject(e2e.stack, upload.key), randomBytes(size, 81))).toBe(0);
    // The same session: no second create, and the parts stored before the failure were not sent again.
    const retried = o.requests.slice(sentBefore);
    expect(creates(retried)).toEqual([]);
    expect(cosPuts(retried).length).toBeLessThan(12);
    expect(o.errors).toEqual([]);
    await page.context().close();
  });

  it('takes its restrictions from GET /v1/limits', async () => {
    const token = await e2e.stack.token('uppy-limits');
    const res = await fetch(`${api}/v1/limits`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { maxUploadBytes: number; allowedContentTypes: string[] };
    expect(body).toMatchObject({ maxUploadBytes: MAX_UPLOAD_BYTES, allowedContentTypes: ALLOWED_TYPES });
    const o = await open(token);
    const { page } = o;
    expect(await page.evaluate(() => window.uppy.getPlugin('CosUpload')!.limits)).toEqual(body);
    expect(await page.evaluate(() => window.uppy.opts.restrictions)).toMatchObject({
      maxFileSize: MAX_UPLOAD_BYTES,
      allowedFileTypes: ALLOWED_TYPES,
    });
    // Uppy itself now refuses what the server would: a text file, a file over the size.
    const tried = await page.evaluate((max) => {
      const tries: [string, string, number][] = [
        ['notes.txt', 'text/plain', 10],
        ['huge.bin', 'application/octet-stream', max + 1],
        ['photo.png', 'image/png', 10],
      ];
      return tries.map(([name, type, size]) => {
        try {
          window.uppy.addFile({ name, type, data: new File([new Uint8Array(size)], name, { type }) });
          return 'added';
        } catch (e) {
          return (e as { isRestriction?: boolean }).isRestriction ? 'refused' : String(e);
        }
      });
    }, MAX_UPLOAD_BYTES);
    expect(tried).toEqual(['refused', 'refused', 'added']);
    expect(o.errors).toEqual([]);
    await page.context().close();
  });
});
