import COS from 'cos-nodejs-sdk-v5';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '../../local/stack.ts';
import { apiClient, bytesOf, crcOf, expectError, putPart } from '../helpers/api-client.ts';
import { getObjectBytes, headObject, officialCos, sdk } from '../helpers/official-cos.ts';
import { startTestStack, type TestStack } from '../helpers/test-stack.ts';

/**
 * docs/API.md "Single uploads are one-part multipart uploads": once an upload is completed or aborted,
 * its COS upload id is gone, so nothing handed to a client — a URL, temporary keys — can write
 * the object again; and an Upload Part request cannot carry object headers.
 */
let testStack: TestStack | undefined;
let stack: LocalStack;
let alice: ReturnType<typeof apiClient>;

beforeAll(async () => {
  testStack = await startTestStack('single-upload');
  stack = testStack.stack;
  alice = apiClient(stack.apiUrl, await stack.token('alice'));
});
afterAll(() => testStack?.stop());

async function createSingle(file: Uint8Array<ArrayBuffer>, extra: Record<string, unknown> = {}) {
  const created = await alice.create({ fileName: 'photo.jpg', size: file.length, contentType: 'image/jpeg', ...extra });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  const up = created.body.upload;
  const url = (await alice.partUrls(up.id, { partNumbers: [1] })).body.urls[0]!;
  return { up, url };
}

/** The temporary keys of an upload, in the official SDK, pointed at the local COS. */
async function sdkWithKeys(id: string) {
  const grant = await alice.call<{
    credentials: { tmpSecretId: string; tmpSecretKey: string; sessionToken: string };
    uploadId: string;
  }>('POST', `/v1/uploads/${id}/credentials`);
  expect(grant.status, JSON.stringify(grant.body)).toBe(200);
  const c = grant.body.credentials;
  const cos = new COS({
    SecretId: c.tmpSecretId,
    SecretKey: c.tmpSecretKey,
    SecurityToken: c.sessionToken,
    Protocol: 'http',
    Domain: new URL(stack.cosUrl).host,
  });
  return { cos, uploadId: grant.body.uploadId };
}

const uploadPart = (cos: COS, key: string, uploadId: string, body: Buffer) =>
  sdk(cos.multipartUpload.bind(cos) as never, {
    Bucket: stack.bucket,
    Region: stack.region,
    Key: key,
    UploadId: uploadId,
    PartNumber: 1,
    Body: body,
  });

const putObject = (cos: COS, key: string, body: Buffer) =>
  sdk(cos.putObject.bind(cos) as never, { Bucket: stack.bucket, Region: stack.region, Key: key, Body: body });

const objectBytes = (key: string) => getObjectBytes(officialCos(stack.cosUrl), stack.bucket, stack.region, key);

describe('single uploads after complete and abort', () => {
  it('after complete, the same URL and the same STS keys are refused and the object is byte-identical', async () => {
    const file = bytesOf(200 * 1024, 21);
    const { up, url } = await createSingle(file);
    const { cos, uploadId } = await sdkWithKeys(up.id);
    expect((await putPart(url, file)).status).toBe(200);
    const done = await alice.complete(up.id);
    expect(done.status, JSON.stringify(done.body)).toBe(200);

    const other = bytesOf(file.length, 22);
    const replay = await putPart(url, other);
    expect(replay.status).toBe(404); // NoSuchUpload: the COS upload id is gone
    await expect(uploadPart(cos, up.key, uploadId, Buffer.from(other))).rejects.toMatchObject({ statusCode: 404 });
    // The keys never granted PutObject, so they cannot overwrite the object either.
    await expect(putObject(cos, up.key, Buffer.from(other))).rejects.toMatchObject({ statusCode: 403 });
    expect(Buffer.compare(await objectBytes(up.key), Buffer.from(file))).toBe(0);
    expect((await alice.get(up.id)).body.upload).toMatchObject({ state: 'completed', crc64: crcOf(file) });
  });

  it('after abort, a replayed URL or key writes nothing and no object exists', async () => {
    const file = bytesOf(64 * 1024, 23);
    const { up, url } = await createSingle(file);
    const { cos, uploadId } = await sdkWithKeys(up.id);
    expect((await alice.abort(up.id)).status).toBe(204);
    expect((await putPart(url, file)).status).toBe(404);
    await expect(uploadPart(cos, up.key, uploadId, Buffer.from(file))).rejects.toMatchObject({ statusCode: 404 });
    await expect(putObject(cos, up.key, Buffer.from(file))).rejects.toMatchObject({ statusCode: 403 });
    await expect(headObject(officialCos(stack.cosUrl), stack, up.key)).rejects.toMatchObject({ statusCode: 404 });
  });

  it('extra headers on the PUT change nothing the HEAD shows: the object keeps what the server set', async () => {
    const file = bytesOf(10 * 1024, 24);
    const { up, url } = await createSingle(file, { metadata: { album: 'summer' } });
    const put = await putPart(url, file, {
      'x-cos-meta-album': 'evil',
      'x-cos-meta-extra': 'injected',
      'Content-Disposition': 'attachment; filename="invoice.exe"',
      'x-cos-storage-class': 'ARCHIVE',
      'Content-Type': 'application/x-msdownload',
    });
    expect(put.status, put.text).toBe(200);
    expect((await alice.complete(up.id)).status).toBe(200);
    const head = await headObject(officialCos(stack.cosUrl), stack, up.key);
    expect(head.headers['x-cos-meta-album']).toBe('summer');
    expect(head.headers['x-cos-meta-extra']).toBeUndefined();
    expect(head.headers['content-disposition']).toBeUndefined();
    expect(head.headers['content-type']).toBe('image/jpeg');
    expect(head.headers['x-cos-storage-class'] ?? 'STANDARD').toBe('STANDARD');
  });

  it('a 0-byte file is written by the server at create and answered completed', async () => {
    const created = await alice.create({ fileName: 'empty.txt', size: 0, contentType: 'text/plain' });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body.upload).toMatchObject({
      state: 'completed',
      size: 0,
      crc64: '0',
      crc64Verified: true,
      etag: '"d41d8cd98f00b204e9800998ecf8427e"',
      cosUploadId: null,
    });
    expect((await objectBytes(created.body.upload.key)).length).toBe(0);
    expect((await alice.complete(created.body.upload.id)).status).toBe(200);
    expectError(await alice.partUrls(created.body.upload.id, { partNumbers: [1] }), 409, 'UPLOAD_NOT_OPEN');
    // A CRC64 other than the empty file's is refused before anything is written.
    expectError(await alice.create({ fileName: 'e2', size: 0, crc64: '1' }), 400, 'VALIDATION_FAILED');
  });
});
