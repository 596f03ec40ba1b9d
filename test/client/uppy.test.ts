import Uppy, { type UppyFile } from '@uppy/core';
import { describe, expect, it } from 'vitest';
import CosUpload, {
  type CosUploadBody,
  CosUploadError,
  type CosUploadMeta,
  type CosUploadOptions,
} from '../../client/uppy.ts';
import { allowedTypes, fetchServerLimits, restrictionsFromLimits } from '../../client/uppy-limits.ts';
import type { FetchLike } from '../../client/types.ts';
import { FakeBackend, type FakeOptions, testBytes } from './fake-backend.ts';

/**
 * The Uppy plugin with real @uppy/core (in Node) over the fake backend: what it emits, when it
 * opens sessions, and how it resumes, retries and cancels. The browser proof with Dashboard and
 * Golden Retriever is test/e2e/uppy.test.ts.
 */

const KiB = 1024;
type File_ = UppyFile<CosUploadMeta, CosUploadBody>;

interface Heard {
  success: { file: string; uploadURL?: string; state?: string; id?: string }[];
  errors: { file: string; error: CosUploadError }[];
  progress: Map<string, number>;
}

/** The plugin options these tests vary (none of them depends on the file's meta or body types). */
type PluginOptions = Pick<CosUploadOptions<CosUploadMeta, CosUploadBody>, 'limit' | 'fetch' | 'batch' | 'md5'>;

function setup(fakeOpts: Partial<FakeOptions> = {}, plugin: PluginOptions = {}) {
  const fake = new FakeBackend({ partSize: 64 * KiB, singleMax: 32 * KiB, putDelayMs: 5, ...fakeOpts });
  const uppy = new Uppy<CosUploadMeta, CosUploadBody>().use(CosUpload, {
    endpoint: fake.api,
    token: 't0k',
    concurrency: 2,
    retry: { retries: 1, baseDelayMs: 1, maxDelayMs: 1 },
    ...plugin,
    fetch: plugin.fetch ?? fake.fetch,
  });
  const heard: Heard = { success: [], errors: [], progress: new Map() };
  uppy.on('upload-success', (file, res) =>
    heard.success.push({
      file: file!.id,
      uploadURL: res.uploadURL,
      state: res.body?.upload.state,
      id: res.body?.upload.id,
    }),
  );
  uppy.on('upload-error', (file, error) => heard.errors.push({ file: file!.id, error: error as CosUploadError }));
  uppy.on('upload-progress', (file, p) => heard.progress.set(file!.id, p.bytesUploaded));
  const add = (name: string, size: number, seed = size) => {
    const bytes = testBytes(size, seed);
    const id = uppy.addFile({
      name,
      type: 'application/octet-stream',
      data: new Blob([bytes as Uint8Array<ArrayBuffer>]),
    });
    return { id, bytes };
  };
  const file = (id: string) => uppy.getFile(id) as File_;
  return { fake, uppy, heard, add, file };
}

/** Sessions asked for: single creates plus the items of batch creates. */
const asked = (fake: FakeBackend) => fake.calls.create + fake.batchSizes.batchCreate.reduce((a, b) => a + b, 0);

/** The body of every create the plugin sends (each item of a batch), with open sessions counted as answered. */
function watchCreates(fake: FakeBackend) {
  const bodies: Record<string, unknown>[] = [];
  const seen = { open: 0, maxOpen: 0, bodies };
  const fetch: FetchLike = async (url, init) => {
    const path = new URL(url).pathname;
    const single = path === '/v1/uploads';
    const isCreate = init?.method === 'POST' && (single || path === '/v1/uploads/batch');
    if (isCreate) {
      const body = JSON.parse(String(init.body)) as { uploads?: Record<string, unknown>[] };
      bodies.push(...(single ? [body] : body.uploads!));
    }
    const res = await fake.fetch(url, init);
    if (isCreate && res.ok) {
      const answer = (await res.clone().json()) as { results?: { upload?: unknown }[] };
      seen.open += single ? 1 : answer.results!.filter((r) => r.upload).length;
      seen.maxOpen = Math.max(seen.maxOpen, seen.open);
    }
    return res;
  };
  return { seen, fetch };
}

describe('CosUpload (Uppy plugin) over the fake backend', () => {
  it('uploads files, emits success only for completed uploads with the location, keeps the id in meta', async () => {
    const { fake, uppy, heard, add, file } = setup();
    const small = add('small.bin', 20 * KiB);
    const big = add('big.bin', 300 * KiB + 7);
    const result = await uppy.upload();
    expect(result?.failed).toEqual([]);
    expect(heard.errors).toEqual([]);
    for (const { id, bytes } of [small, big]) {
      const f = file(id);
      const upload = f.response!.body!.upload;
      expect(upload.state).toBe('completed');
      expect(f.meta.cosUploadId).toBe(upload.id);
      expect(f.uploadURL).toBe(upload.location);
      expect(f.progress.uploadComplete).toBe(true);
      expect(heard.progress.get(id)).toBe(bytes.length);
      expect(fake.object(upload.id)).toEqual(bytes);
    }
    expect(heard.success.map((s) => s.state)).toEqual(['completed', 'completed']);
    // Both started together: one batch create of two.
    expect(fake.calls.create).toBe(0);
    expect(fake.batchSizes.batchCreate).toEqual([2]);
    expect(fake.contract.violations).toEqual([]);
  });

  it.each([true, false])(
    'opens at most `limit` sessions at once, and each only when its file starts (batch: %s)',
    async (batch) => {
      const { fake, uppy, add } = setup({ putDelayMs: 20 }, { limit: 2, batch });
      for (let i = 0; i < 6; i++) add(`f${i}.bin`, 8 * KiB + i);
      const { seen, fetch } = watchCreates(fake);
      uppy.on('upload-success', () => seen.open--);
      uppy.getPlugin('CosUpload')!.setOptions({ fetch });
      await uppy.upload();
      expect(asked(fake)).toBe(6);
      expect(seen.maxOpen).toBe(2);
      if (batch) {
        // The two files holding the slots end together, so the next two start, and are created, together.
        expect(fake.calls.create).toBe(0);
        expect(fake.batchSizes.batchCreate).toEqual([2, 2, 2]);
        expect(fake.batchSizes.batchComplete).toEqual([2, 2, 2]);
      } else {
        expect(fake.calls).toMatchObject({ create: 6, batchCreate: 0, complete: 6, batchComplete: 0 });
      }
    },
  );

  it('waits out an item refused with TOO_MANY_OPEN_UPLOADS in a batch while its own uploads run', async () => {
    const { fake, uppy, heard, add } = setup({ putDelayMs: 30, maxOpen: 2 }, { limit: 3 });
    for (let i = 0; i < 4; i++) add(`q${i}.bin`, 8 * KiB + i);
    const result = await uppy.upload();
    expect(heard.errors).toEqual([]);
    expect(result?.successful).toHaveLength(4);
    // Two opened of the first three; the third waits, and so does the fourth given the freed slot.
    expect(fake.batchSizes.batchCreate[0]).toBe(3);
    expect(asked(fake)).toBe(6);
    expect(fake.calls.create).toBe(0);
  });

  it('waits out TOO_MANY_OPEN_UPLOADS while its own uploads run, instead of failing the file (batch: false)', async () => {
    const { fake, uppy, heard, add } = setup(
      {
        putDelayMs: 30,
        apiFault: ({ route, attempt }) =>
          route === 'create' && attempt === 2 ? { status: 429, code: 'TOO_MANY_OPEN_UPLOADS' } : undefined,
      },
      { limit: 3, batch: false },
    );
    for (let i = 0; i < 4; i++) add(`q${i}.bin`, 8 * KiB + i);
    const result = await uppy.upload();
    expect(heard.errors).toEqual([]);
    expect(result?.successful).toHaveLength(4);
    expect(fake.calls.create).toBe(5); // one refused, asked again once another ended
  });

  it.each([true, false])(
    'fails with the contract error when the quota is hit and nothing of ours would free it (batch: %s)',
    async (batch) => {
      const { fake, uppy, heard, add } = setup({ maxOpen: 0 }, { batch });
      add('lonely.bin', 8 * KiB);
      await uppy.upload();
      expect(heard.errors).toHaveLength(1);
      const { error } = heard.errors[0]!;
      expect(error).toBeInstanceOf(CosUploadError);
      expect(error).toMatchObject({ code: 'TOO_MANY_OPEN_UPLOADS', status: 429, retryable: false });
      expect(error.contract.code).toBe('TOO_MANY_OPEN_UPLOADS');
      expect(error.details).toBe('(TOO_MANY_OPEN_UPLOADS)');
      expect(heard.success).toEqual([]);
      expect(asked(fake)).toBe(1);
    },
  );

  it('a retry resumes the same session: only the parts not stored are sent', async () => {
    let failing = true;
    const { fake, uppy, heard, add, file } = setup({
      putDelayMs: 1,
      cosFault: ({ partNumber }) => (failing && partNumber === 4 ? { status: 400 } : undefined),
    });
    const { id, bytes } = add('retry.bin', 6 * 64 * KiB);
    await uppy.upload();
    expect(heard.errors.map((e) => e.error.code)).toEqual(['COS_ERROR']);
    const uploadId = file(id).meta.cosUploadId!;
    expect(uploadId).toMatch(/^upl_/);
    const putsBefore = [...fake.puts.values()].reduce((a, b) => a + b, 0);
    failing = false;
    await uppy.retryUpload(id);
    expect(heard.success.map((s) => s.id)).toEqual([uploadId]);
    // Resumed by its id (a GET), not created again.
    expect(asked(fake)).toBe(1);
    expect(fake.calls.get).toBe(1);
    expect(fake.object(uploadId)).toEqual(bytes);
    const putsAfter = [...fake.puts.values()].reduce((a, b) => a + b, 0) - putsBefore;
    expect(putsAfter).toBeLessThan(6);
  });

  it('a saved id the server no longer has starts a new upload', async () => {
    const { fake, uppy, heard, add, file } = setup();
    const { id, bytes } = add('stale.bin', 100 * KiB);
    uppy.setFileMeta(id, { cosUploadId: 'upl_fake9999999999999999' });
    await uppy.upload();
    expect(heard.errors).toEqual([]);
    const uploadId = file(id).meta.cosUploadId!;
    expect(uploadId).not.toBe('upl_fake9999999999999999');
    expect(fake.calls.get).toBe(1);
    expect(fake.object(uploadId)).toEqual(bytes);
  });

  it('removing a file mid-upload aborts its session and reports no error', async () => {
    const { fake, uppy, heard, add, file } = setup({ putDelayMs: 50 });
    const { id } = add('gone.bin', 10 * 64 * KiB);
    const other = add('stays.bin', 8 * KiB);
    const started = uppy.upload();
    await new Promise<void>((resolve) => {
      const check = () => (file(id).meta.cosUploadId ? resolve() : setTimeout(check, 5));
      check();
    });
    const uploadId = file(id).meta.cosUploadId!;
    uppy.removeFile(id);
    await started;
    await new Promise((r) => setTimeout(r, 20));
    expect(fake.calls.delete).toBe(1);
    expect(fake.uploads.get(uploadId)!.upload.state).toBe('aborted');
    expect(heard.errors).toEqual([]);
    expect(heard.success.map((s) => s.file)).toEqual([other.id]);
  });

  it('pausing holds the parts until resumed', async () => {
    const { fake, uppy, heard, add, file } = setup({ putDelayMs: 20 });
    const { id, bytes } = add('pause.bin', 8 * 64 * KiB);
    const done = uppy.upload();
    await new Promise<void>((resolve) => {
      const on = (f: File_ | undefined, p: { bytesUploaded: number }) => {
        if (f?.id === id && p.bytesUploaded >= 2 * 64 * KiB) {
          uppy.off('upload-progress', on);
          expect(uppy.pauseResume(id)).toBe(true);
          resolve();
        }
      };
      uppy.on('upload-progress', on);
    });
    await new Promise((r) => setTimeout(r, 60));
    const attempts = fake.putAttempts;
    await new Promise((r) => setTimeout(r, 100));
    expect(fake.putAttempts).toBe(attempts);
    expect(file(id).progress.uploadComplete).toBeFalsy();
    uppy.pauseResume(id);
    await done;
    expect(heard.errors).toEqual([]);
    expect(fake.object(file(id).meta.cosUploadId!)).toEqual(bytes);
  });

  it('reads no limits from a server without /v1/limits (404), and leaves the restrictions alone', async () => {
    const { uppy } = setup();
    expect(await uppy.getPlugin('CosUpload')!.limits).toBeNull();
    expect(uppy.opts.restrictions.maxFileSize).toBeNull();
    expect(uppy.opts.restrictions.allowedFileTypes).toBeNull();
  });

  it('sets maxFileSize and allowedFileTypes from /v1/limits', async () => {
    const fake = new FakeBackend({ partSize: 64 * KiB });
    const withLimits: FetchLike = async (url, init) =>
      new URL(url).pathname === '/v1/limits'
        ? Response.json({ maxUploadBytes: 1000, allowedContentTypes: ['image/*', 'application/pdf'] })
        : fake.fetch(url, init);
    const { uppy } = setup({}, { fetch: withLimits });
    await uppy.getPlugin('CosUpload')!.limits;
    expect(uppy.opts.restrictions).toMatchObject({
      maxFileSize: 1000,
      allowedFileTypes: ['image/*', 'application/pdf'],
    });
    expect(() => uppy.addFile({ name: 'a.txt', type: 'text/plain', data: new Blob(['x']) })).toThrow();
    expect(() =>
      uppy.addFile({ name: 'big.png', type: 'image/png', data: new Blob([new Uint8Array(1001)]) }),
    ).toThrow();
    expect(uppy.addFile({ name: 'ok.png', type: 'image/png', data: new Blob([new Uint8Array(10)]) })).toBeTruthy();
  });
});

describe('CosUpload shares API calls between files (batch, the default)', () => {
  /** Adds `n` small (single-PUT) files and uploads them; every one must end completed and byte-exact. */
  async function uploadSmall(n: number, fakeOpts: Partial<FakeOptions> = {}, plugin: PluginOptions = {}) {
    const t = setup(fakeOpts, { limit: n, ...plugin });
    const { seen, fetch } = watchCreates(t.fake);
    t.uppy.getPlugin('CosUpload')!.setOptions({ fetch });
    const files = Array.from({ length: n }, (_, i) => t.add(`s${i}.bin`, 4 * KiB + i));
    const result = await t.uppy.upload();
    expect(t.heard.errors).toEqual([]);
    expect(result?.successful).toHaveLength(n);
    for (const { id, bytes } of files) expect(t.fake.object(t.file(id).meta.cosUploadId!)).toEqual(bytes);
    expect(t.fake.contract.violations).toEqual([]);
    return { ...t, bodies: seen.bodies };
  }

  it('N small files with limit ≥ N: one batch create (part 1 inline), no part-urls, one batch complete', async () => {
    const { fake, bodies } = await uploadSmall(8);
    expect(fake.batchSizes.batchCreate).toEqual([8]);
    expect(bodies.map((b) => b.presign)).toEqual(Array(8).fill(1));
    expect(fake.idempotencyKeys).toEqual([expect.any(String)]);
    expect(fake.calls).toMatchObject({ create: 0, partUrls: 0, record: 0 });
    expect(fake.calls.complete + fake.calls.batchComplete).toBeLessThanOrEqual(2);
    expect(fake.putAttempts).toBe(8);
    expect(fake.totalApiCalls).toBeLessThanOrEqual(3);
  });

  it('a lone file is a batch of one, and is not held back for company', async () => {
    const started = Date.now();
    const { fake } = await uploadSmall(1);
    expect(fake.calls).toMatchObject({ create: 0, batchCreate: 1, partUrls: 0, complete: 0, batchComplete: 1 });
    // The complete waits at most 100 ms for others; the rest is a few 5 ms PUTs and fake calls.
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('batch: false makes the per-file calls, each create still carrying part 1’s URL', async () => {
    const { fake, bodies } = await uploadSmall(4, {}, { batch: false });
    expect(fake.calls).toMatchObject({ create: 4, batchCreate: 0, partUrls: 0, complete: 4, batchComplete: 0 });
    expect(bodies.map((b) => b.presign)).toEqual([1, 1, 1, 1]);
  });

  it('md5 and empty files: batched, but asking create for no URL', async () => {
    const t = setup({}, { limit: 4, md5: true });
    const { seen, fetch } = watchCreates(t.fake);
    t.uppy.getPlugin('CosUpload')!.setOptions({ fetch });
    const empty = t.add('empty.bin', 0);
    const small = t.add('small.bin', 4 * KiB);
    const big = t.add('big.bin', 150 * KiB);
    const result = await t.uppy.upload();
    expect(t.heard.errors).toEqual([]);
    expect(result?.successful).toHaveLength(3);
    expect(t.fake.batchSizes.batchCreate).toEqual([3]);
    expect(seen.bodies.map((b) => b.presign)).toEqual([undefined, undefined, undefined]);
    // Every URL bound its part's MD5, so all came from part-urls: 1 + 3 parts.
    expect(t.fake.partUrlBodies.flatMap((b) => b.md5s ?? [])).toHaveLength(4);
    expect(t.file(empty.id).response!.body!.upload).toMatchObject({ state: 'completed', size: 0 });
    for (const { id, bytes } of [small, big]) expect(t.fake.object(t.file(id).meta.cosUploadId!)).toEqual(bytes);
  });

  it('a retried batch create sends the same Idempotency-Key', async () => {
    const fault = ({ route, attempt }: { route: string; attempt: number }) =>
      route === 'batchCreate' && attempt === 0 ? { status: 503, code: 'STORAGE_UNAVAILABLE' } : undefined;
    const { fake } = await uploadSmall(3, { apiFault: fault });
    expect(fake.idempotencyKeys).toHaveLength(2);
    expect(new Set(fake.idempotencyKeys).size).toBe(1);
  });

  it('an item that failed transiently is created again on its own, with the single create’s retries', async () => {
    let refused = 0;
    const createFault = ({ fileName }: { fileName: string }) =>
      fileName === 's1.bin' && refused++ === 0 ? { status: 503, code: 'STORAGE_UNAVAILABLE' } : undefined;
    const { fake } = await uploadSmall(3, { createFault });
    expect(fake.batchSizes.batchCreate).toEqual([3]);
    expect(fake.calls.create).toBe(1);
  });

  it('a merge that fails its CRC64 check after batch-complete is waited on alone, then repaired', async () => {
    const { fake, uppy, heard, add, file } = setup({
      assemble: ({ attempt }) => (attempt === 0 ? { outcome: 'crc64Mismatch', retryAfter: 0 } : undefined),
    });
    const { id, bytes } = add('merge.bin', 100 * KiB);
    await uppy.upload();
    expect(heard.errors).toEqual([]);
    expect(fake.object(file(id).meta.cosUploadId!)).toEqual(bytes);
    // `completing` in the batch: the single complete waited for the merge (and its PARTS_INVALID).
    expect(fake.calls).toMatchObject({ batchComplete: 2, complete: 1 });
    // Part 1's first URL came with create; the repair signs both parts for the fresh COS upload.
    expect(fake.partUrlRequests).toEqual([[2], [1, 2]]);
    expect([...fake.puts.values()]).toEqual([2, 2]);
  });

  it('an item refused at batch-complete reports the status its own complete would have had', async () => {
    const { fake, uppy, heard, add, file } = setup();
    const { id } = add('lost.bin', 100 * KiB);
    uppy.on('upload-progress', (f, p) => {
      // The ledger lists part 2, but COS lost it: complete refuses with PARTS_INVALID, twice.
      if (f?.id === id && p.bytesUploaded === p.bytesTotal) fake.dropStoredPart(file(id).meta.cosUploadId!, 2);
    });
    await uppy.upload();
    expect(heard.errors.map((e) => e.error)).toEqual([
      expect.objectContaining({ code: 'PARTS_INVALID', status: 409, retryable: false }),
    ]);
    expect(fake.calls.batchComplete).toBe(2);
  });

  it('a server without the batch routes gets per-file creates and completes', async () => {
    const fake = new FakeBackend({ partSize: 64 * KiB, singleMax: 32 * KiB });
    const batchless: FetchLike = async (url, init) =>
      /^\/v1\/uploads\/batch/.test(new URL(url).pathname)
        ? Response.json({ error: { code: 'NOT_FOUND', message: 'no such route', details: {} } }, { status: 404 })
        : fake.fetch(url, init);
    const { uppy, heard, add } = setup({}, { limit: 3, fetch: batchless });
    for (let i = 0; i < 3; i++) add(`old${i}.bin`, 4 * KiB + i);
    const result = await uppy.upload();
    expect(heard.errors).toEqual([]);
    expect(result?.successful).toHaveLength(3);
    expect(fake.calls).toMatchObject({ create: 3, complete: 3 });
  });
});

describe('server limits as Uppy restrictions', () => {
  it('reads the list or the comma string; */* means any type', () => {
    expect(allowedTypes({ allowedContentTypes: ['image/*', ' video/mp4 '] })).toEqual(['image/*', 'video/mp4']);
    expect(allowedTypes({ allowedContentTypes: 'image/*,application/pdf' })).toEqual(['image/*', 'application/pdf']);
    expect(allowedTypes({ allowedContentTypes: ['*/*'] })).toBeNull();
    expect(allowedTypes({ allowedContentTypes: ['image/*', '*/*'] })).toBeNull();
    expect(allowedTypes({})).toBeNull();
  });

  it('the smaller maxFileSize wins; the app keeps its own allowedFileTypes', () => {
    const limits = { maxUploadBytes: 100, allowedContentTypes: ['image/*'] };
    expect(restrictionsFromLimits(limits, {})).toEqual({ maxFileSize: 100, allowedFileTypes: ['image/*'] });
    expect(restrictionsFromLimits(limits, { maxFileSize: 50, allowedFileTypes: ['.png'] })).toEqual({
      maxFileSize: 50,
    });
    expect(restrictionsFromLimits(limits, { maxFileSize: 500, allowedFileTypes: null })).toEqual({
      maxFileSize: 100,
      allowedFileTypes: ['image/*'],
    });
    expect(restrictionsFromLimits({ allowedContentTypes: ['*/*'] }, {})).toEqual({});
  });

  it('fetchServerLimits never rejects: 404, a network failure and a non-object answer are null', async () => {
    const answer =
      (res: Response | Error): FetchLike =>
      async () => {
        if (res instanceof Error) throw res;
        return res;
      };
    const limits = (f: FetchLike) => fetchServerLimits({ endpoint: 'http://api.test/', fetch: f });
    expect(await limits(answer(new Response('{}', { status: 404 })))).toBeNull();
    expect(await limits(answer(new TypeError('fetch failed')))).toBeNull();
    expect(await limits(answer(new Response('[1]')))).toBeNull();
    expect(await limits(answer(new Response('<html>')))).toBeNull();
    let asked = '';
    const ok: FetchLike = async (url) => {
      asked = url;
      return Response.json({ maxUploadBytes: 5 });
    };
    expect(await limits(ok)).toEqual({ maxUploadBytes: 5 });
    expect(asked).toBe('http://api.test/v1/limits');
  });
});
