import Uppy, { type UppyFile } from '@uppy/core';
import { describe, expect, it } from 'vitest';
import CosUpload, { type CosUploadBody, CosUploadError, type CosUploadMeta } from '../../client/uppy.ts';
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

function setup(fakeOpts: Partial<FakeOptions> = {}, plugin: { limit?: number; fetch?: FetchLike } = {}) {
  const fake = new FakeBackend({ partSize: 64 * KiB, singleMax: 32 * KiB, putDelayMs: 5, ...fakeOpts });
  const uppy = new Uppy<CosUploadMeta, CosUploadBody>().use(CosUpload, {
    endpoint: fake.api,
    token: 't0k',
    fetch: plugin.fetch ?? fake.fetch,
    concurrency: 2,
    limit: plugin.limit,
    retry: { retries: 1, baseDelayMs: 1, maxDelayMs: 1 },
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
    expect(fake.calls.create).toBe(2);
    expect(fake.contract.violations).toEqual([]);
  });

  it('opens at most `limit` sessions at once, and each only when its file starts', async () => {
    const { fake, uppy, add } = setup({ putDelayMs: 20 }, { limit: 2 });
    for (let i = 0; i < 6; i++) add(`f${i}.bin`, 8 * KiB + i);
    let open = 0;
    let maxOpen = 0;
    uppy.on('upload-success', () => open--);
    const create = fake.fetch;
    const counting: FetchLike = async (url, init) => {
      const res = await create(url, init);
      if (init?.method === 'POST' && new URL(url).pathname === '/v1/uploads' && res.ok)
        maxOpen = Math.max(maxOpen, ++open);
      return res;
    };
    uppy.getPlugin('CosUpload')!.setOptions({ fetch: counting });
    await uppy.upload();
    expect(fake.calls.create).toBe(6);
    expect(maxOpen).toBe(2);
  });

  it('waits out TOO_MANY_OPEN_UPLOADS while its own uploads run, instead of failing the file', async () => {
    const { fake, uppy, heard, add } = setup(
      {
        putDelayMs: 30,
        apiFault: ({ route, attempt }) =>
          route === 'create' && attempt === 2 ? { status: 429, code: 'TOO_MANY_OPEN_UPLOADS' } : undefined,
      },
      { limit: 3 },
    );
    for (let i = 0; i < 4; i++) add(`q${i}.bin`, 8 * KiB + i);
    const result = await uppy.upload();
    expect(heard.errors).toEqual([]);
    expect(result?.successful).toHaveLength(4);
    expect(fake.calls.create).toBe(5); // one refused, asked again once another ended
  });

  it('fails with the contract error when the quota is hit and nothing of ours would free it', async () => {
    const { uppy, heard, add } = setup({
      apiFault: ({ route }) => (route === 'create' ? { status: 429, code: 'TOO_MANY_OPEN_UPLOADS' } : undefined),
    });
    add('lonely.bin', 8 * KiB);
    await uppy.upload();
    expect(heard.errors).toHaveLength(1);
    const { error } = heard.errors[0]!;
    expect(error).toBeInstanceOf(CosUploadError);
    expect(error).toMatchObject({ code: 'TOO_MANY_OPEN_UPLOADS', status: 429, retryable: false });
    expect(error.contract.code).toBe('TOO_MANY_OPEN_UPLOADS');
    expect(error.details).toBe('(TOO_MANY_OPEN_UPLOADS)');
    expect(heard.success).toEqual([]);
  });

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
    expect(fake.calls.create).toBe(1);
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
