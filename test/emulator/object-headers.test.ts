import { createHash } from 'node:crypto';
import type COS from 'cos-nodejs-sdk-v5';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sdkError, signedFetch, startTestEmulator, type TestEmulator } from '../helpers/cos-emulator.ts';

/**
 * Object headers, Content-MD5 and x-cos-forbid-overwrite, driven with the official
 * cos-nodejs-sdk-v5 (PUT Object 436/7749, Initiate 436/7746, Upload Part 436/7750, Complete 436/7742).
 */

let t: TestEmulator;
beforeAll(async () => {
  t = await startTestEmulator();
});
afterAll(() => t.close());

const EXPIRES = 'Wed, 21 Oct 2026 07:28:00 GMT';
const headerParams = {
  CacheControl: 'max-age=86400, public',
  ContentDisposition: 'attachment; filename="report.pdf"',
  ContentEncoding: 'gzip',
  Expires: EXPIRES,
  StorageClass: 'STANDARD_IA' as COS.StorageClass,
  // The SDK has no parameter for it (sdk/util.js maps none): as a header.
  Headers: { 'Content-Language': 'de-CH' },
};
const expectHeaders = (h: Record<string, string> | undefined) => {
  expect(h?.['cache-control']).toBe('max-age=86400, public');
  expect(h?.['content-disposition']).toBe('attachment; filename="report.pdf"');
  expect(h?.['content-encoding']).toBe('gzip');
  expect(h?.['content-language']).toBe('de-CH');
  expect(h?.expires).toBe(EXPIRES);
  expect(h?.['x-cos-storage-class']).toBe('STANDARD_IA');
};
const md5 = (b: Buffer) => createHash('md5').update(b).digest('base64');

describe('object headers', () => {
  it('PUT Object stores them; HEAD and GET return them, GET response-* overrides one', async () => {
    const cos = t.cos();
    await cos.putObject({ ...t.target, Key: 'h/put.bin', Body: Buffer.from('x'), ...headerParams });
    expectHeaders((await cos.headObject({ ...t.target, Key: 'h/put.bin' })).headers);
    const get = await cos.getObject({ ...t.target, Key: 'h/put.bin' });
    expectHeaders(get.headers);
    const url = cos.getObjectUrl({
      ...t.target,
      Key: 'h/put.bin',
      Sign: true,
      Query: { 'response-content-disposition': 'inline' },
    } as never);
    const res = await fetch(typeof url === 'string' ? url : (url as { Url: string }).Url);
    expect(res.headers.get('content-disposition')).toBe('inline');
    expect(res.headers.get('cache-control')).toBe('max-age=86400, public');
  });

  it("Initiate's headers are the object's after Complete; a part PUT carrying others changes nothing", async () => {
    const cos = t.cos();
    const Key = 'h/multi.bin';
    const { UploadId } = await cos.multipartInit({ ...t.target, Key, ...headerParams });
    const body = Buffer.from('part one');
    const part = await cos.multipartUpload({
      ...t.target,
      Key,
      UploadId,
      PartNumber: 1,
      Body: body,
      Headers: {
        'Content-Language': 'fr',
        'x-cos-storage-class': 'ARCHIVE',
        'Content-Disposition': 'inline',
        'Cache-Control': 'no-store',
        'x-cos-meta-evil': '1',
      },
    });
    await cos.multipartComplete({ ...t.target, Key, UploadId, Parts: [{ PartNumber: 1, ETag: part.ETag }] });
    const head = await cos.headObject({ ...t.target, Key });
    expectHeaders(head.headers);
    expect(head.headers?.['x-cos-meta-evil']).toBeUndefined();
  });

  it('an unknown (or lowercase) storage class is InvalidStorageClass, on PUT Object and Initiate', async () => {
    const cos = t.cos();
    for (const StorageClass of ['GLACIER', 'standard_ia'] as unknown as COS.StorageClass[]) {
      const put = await sdkError(cos.putObject({ ...t.target, Key: 'h/sc.bin', Body: Buffer.from('x'), StorageClass }));
      expect(put).toMatchObject({ statusCode: 400, code: 'InvalidStorageClass' });
      const init = await sdkError(cos.multipartInit({ ...t.target, Key: 'h/sc.bin', StorageClass }));
      expect(init).toMatchObject({ statusCode: 400, code: 'InvalidStorageClass' });
    }
    expect((await sdkError(cos.headObject({ ...t.target, Key: 'h/sc.bin' }))).statusCode).toBe(404);
  });
});

describe('Content-MD5', () => {
  it('PUT Object and Upload Part with the right MD5 succeed; other bytes of the same length are BadDigest', async () => {
    const cos = t.cos();
    const good = Buffer.from('the right bytes');
    const bad = Buffer.from('the wrong bytes');
    expect(bad.length).toBe(good.length);
    const ok = await cos.putObject({ ...t.target, Key: 'm/put.bin', Body: good, ContentMD5: md5(good) } as never);
    expect(ok.statusCode).toBe(200);
    const refused = await sdkError(
      cos.putObject({ ...t.target, Key: 'm/put.bin', Body: bad, ContentMD5: md5(good) } as never),
    );
    expect(refused).toMatchObject({ statusCode: 400, code: 'BadDigest' });
    expect(Buffer.from((await cos.getObject({ ...t.target, Key: 'm/put.bin' })).Body as Buffer)).toEqual(good);

    const { UploadId } = await cos.multipartInit({ ...t.target, Key: 'm/part.bin' });
    const part = (Body: Buffer): Promise<{ statusCode?: number }> =>
      cos.multipartUpload({
        ...t.target,
        Key: 'm/part.bin',
        UploadId,
        PartNumber: 1,
        Body,
        Headers: { 'Content-MD5': md5(good) },
      });
    expect((await sdkError(part(bad))).code).toBe('BadDigest');
    expect((await cos.multipartListPart({ ...t.target, Key: 'm/part.bin', UploadId })).Part).toHaveLength(0);
    expect((await part(good)).statusCode).toBe(200);
  });

  it('a malformed Content-MD5 on Complete is InvalidDigest too', async () => {
    const cos = t.cos();
    const { UploadId } = await cos.multipartInit({ ...t.target, Key: 'm/c.bin' });
    const res = await signedFetch(t.emulator, {
      method: 'POST',
      key: 'm/c.bin',
      query: { uploadId: UploadId },
      body: '<CompleteMultipartUpload></CompleteMultipartUpload>',
      headers: { 'content-md5': 'abc', 'content-type': 'application/xml' },
    });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('<Code>InvalidDigest</Code>');
  });

  it('a malformed Content-MD5 is InvalidDigest', async () => {
    for (const value of ['not-base64!', Buffer.alloc(15).toString('base64'), 'AAAAAAAAAAAAAAAAAAAAAB==']) {
      const res = await signedFetch(t.emulator, {
        method: 'PUT',
        key: 'm/bad.bin',
        body: 'abc',
        headers: { 'content-md5': value },
      });
      expect(res.status, value).toBe(400);
      expect(await res.text()).toContain('<Code>InvalidDigest</Code>');
    }
  });
});

describe('x-cos-forbid-overwrite', () => {
  it('PUT Object over an existing object is FileAlreadyExists; a new key is written', async () => {
    const cos = t.cos();
    const Headers = { 'x-cos-forbid-overwrite': 'true' };
    await cos.putObject({ ...t.target, Key: 'f/once.txt', Body: Buffer.from('first'), Headers });
    const again = await sdkError(
      cos.putObject({ ...t.target, Key: 'f/once.txt', Body: Buffer.from('second'), Headers }),
    );
    expect(again).toMatchObject({ statusCode: 409, code: 'FileAlreadyExists' });
    expect(String((await cos.getObject({ ...t.target, Key: 'f/once.txt' })).Body)).toBe('first');
    // Without the header (or with false) an overwrite is ordinary.
    await cos.putObject({
      ...t.target,
      Key: 'f/once.txt',
      Body: Buffer.from('third'),
      Headers: { 'x-cos-forbid-overwrite': 'false' },
    });
    expect(String((await cos.getObject({ ...t.target, Key: 'f/once.txt' })).Body)).toBe('third');
  });

  it('Complete onto an existing object is FileAlreadyExists and leaves the upload to complete later', async () => {
    const cos = t.cos();
    const Key = 'f/multi.txt';
    await cos.putObject({ ...t.target, Key, Body: Buffer.from('already here') });
    const { UploadId } = await cos.multipartInit({ ...t.target, Key });
    const part = await cos.multipartUpload({ ...t.target, Key, UploadId, PartNumber: 1, Body: Buffer.from('new') });
    const Parts = [{ PartNumber: 1, ETag: part.ETag }];
    const refused = await sdkError(
      cos.multipartComplete({
        ...t.target,
        Key,
        UploadId,
        Parts,
        Headers: { 'x-cos-forbid-overwrite': 'true' },
      } as never),
    );
    expect(refused).toMatchObject({ statusCode: 409, code: 'FileAlreadyExists' });
    expect(String((await cos.getObject({ ...t.target, Key })).Body)).toBe('already here');
    await cos.multipartComplete({ ...t.target, Key, UploadId, Parts });
    expect(String((await cos.getObject({ ...t.target, Key })).Body)).toBe('new');
  });
});
