import { describe, expect, it } from 'vitest';
import { startUpload } from '../../client/upload-run.ts';
import { createUpload, type UploadOptions, upload } from '../../client/upload.ts';
import { FakeBackend, noWait, testBytes } from './fake-backend.ts';

/** `baseUrl` and `uploadId`, and their deprecated aliases `api` and `resume`. */

const issuesOf = async (options: UploadOptions) => {
  const err = (await upload(testBytes(10), options).catch((e: unknown) => e)) as {
    code: string;
    details: { issues: { path: string[] }[] };
  };
  expect(err.code).toBe('INVALID_OPTIONS');
  return err.details.issues.map((i) => i.path.join('.'));
};

describe('baseUrl', () => {
  it('the deprecated api still works', async () => {
    const fake = new FakeBackend({ partSize: 100 });
    // The deprecated alias, on purpose.
    const done = await upload(testBytes(250), { api: fake.api, token: 't0k', fetch: fake.fetch });
    expect(done.state).toBe('completed');
  });

  it('exactly one of baseUrl and api, an http(s) URL', async () => {
    const fake = new FakeBackend({ partSize: 100 });
    const base = { token: 't0k', fetch: fake.fetch };
    expect(await issuesOf({ ...base, baseUrl: fake.api, api: fake.api })).toEqual(['api']);
    expect(await issuesOf(base)).toEqual(['baseUrl']);
    expect(await issuesOf({ ...base, baseUrl: 'api.test' })).toEqual(['baseUrl']);
    expect(await issuesOf({ ...base, api: 'api.test' })).toEqual(['api']);
    expect(fake.totalApiCalls).toBe(0);
  });

  it('bad options reject done; createUpload itself does not throw', async () => {
    const task = createUpload(testBytes(10), { token: 't' });
    await expect(task.done).rejects.toMatchObject({ code: 'INVALID_OPTIONS' });
    expect(task.status).toBe('failed');
  });
});

describe('uploadId', () => {
  /** An upload stopped after two of its three parts; returns its id. */
  async function stopped(fake: FakeBackend, bytes: Uint8Array): Promise<string> {
    const ctl = new AbortController();
    const task = startUpload(
      bytes,
      {
        baseUrl: fake.api,
        token: 't0k',
        fetch: fake.fetch,
        concurrency: 1,
        signal: ctl.signal,
        onProgress: (p) => p.partsDone === 2 && ctl.abort(),
      },
      { retry: noWait },
    );
    await expect(task.done).rejects.toMatchObject({ code: 'STOPPED' });
    return task.id!;
  }

  it('uploadId and the deprecated resume both continue the upload they name', async () => {
    const fake = new FakeBackend({ partSize: 100 });
    const bytes = testBytes(300);
    const options = { baseUrl: fake.api, token: 't0k', fetch: fake.fetch };
    const a = await stopped(fake, bytes);
    await expect(upload(bytes, { ...options, uploadId: a })).resolves.toMatchObject({ id: a, state: 'completed' });
    const b = await stopped(fake, bytes);
    // The deprecated alias, on purpose.
    await expect(upload(bytes, { ...options, resume: b })).resolves.toMatchObject({ id: b, state: 'completed' });
    expect(fake.calls.create).toBe(2);
    expect(fake.object(a)).toEqual(bytes);
    expect(fake.object(b)).toEqual(bytes);
  });

  it('not both, and not empty', async () => {
    const fake = new FakeBackend({ partSize: 100 });
    const base = { baseUrl: fake.api, token: 't0k', fetch: fake.fetch };
    const id = 'upl_fake0000000000000001';
    expect(await issuesOf({ ...base, uploadId: id, resume: id })).toEqual(['resume']);
    expect(await issuesOf({ ...base, uploadId: '' })).toEqual(['uploadId']);
    expect(fake.totalApiCalls).toBe(0);
  });
});
