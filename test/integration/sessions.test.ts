import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '../../local/stack.ts';
import { apiClient, bytesOf, crcOf, expectError, putPart } from '../helpers/api-client.ts';
import { getObjectBytes, headObject, listParts, officialCos, sdk } from '../helpers/official-cos.ts';
import { startTestStack, type TestStack } from '../helpers/test-stack.ts';

const MiB = 1024 * 1024;
const env = {
  MAX_UPLOAD_BYTES: String(64 * MiB),
  ALLOWED_CONTENT_TYPES: 'image/*,video/mp4,application/octet-stream,text/plain',
  MAX_OPEN_UPLOADS_PER_OWNER: '50',
};

let testStack: TestStack | undefined;
let stack: LocalStack;
let alice: ReturnType<typeof apiClient>;
let bob: ReturnType<typeof apiClient>;

beforeAll(async () => {
  testStack = await startTestStack('sessions', { env });
  stack = testStack.stack;
  alice = apiClient(stack.apiUrl, await stack.token('alice'));
  bob = apiClient(stack.apiUrl, await stack.token('bob'));
});

afterAll(() => testStack?.stop());

/** Creates, uploads the given parts through presigned URLs and records them; returns what the client knows. */
async function uploadParts(
  file: Uint8Array<ArrayBuffer>,
  partNumbers: number[] | 'all',
  extra: Record<string, unknown> = {},
) {
  const created = await alice.create({ fileName: 'my file+(1).bin', size: file.length, crc64: crcOf(file), ...extra });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  const up = created.body.upload;
  const numbers = partNumbers === 'all' ? Array.from({ length: up.partCount! }, (_, i) => i + 1) : partNumbers;
  const urls = await alice.partUrls(up.id, { partNumbers: numbers });
  expect(urls.status, JSON.stringify(urls.body)).toBe(200);
  const parts = [];
  for (const u of urls.body.urls) {
    const bytes = file.subarray((u.partNumber - 1) * up.partSize, u.partNumber * up.partSize);
    const put = await putPart(u, bytes);
    expect(put.status, put.text).toBe(200);
    parts.push({ partNumber: u.partNumber, etag: put.etag!, size: bytes.length, crc64: put.crc64! });
  }
  return { up, parts };
}

describe('upload sessions end to end (local COS + SQLite over HTTP)', () => {
  it('a 3-part upload completes and the stored object equals the file, bytes and CRC64', async () => {
    const file = bytesOf(2.5 * MiB, 7);
    const { up, parts } = await uploadParts(file, 'all');
    expect(up).toMatchObject({ strategy: 'multipart', partSize: MiB, partCount: 3, state: 'open' });
    expect(up.key).toMatch(/^u\/[0-9a-f]{16}\/upl_[0-9a-z]{26}\/my file\+\(1\)\.bin$/);
    expect((await alice.record(up.id, parts)).body).toEqual({ recorded: 3 });

    const done = await alice.complete(up.id);
    expect(done.status, JSON.stringify(done.body)).toBe(200);
    expect(done.body.upload).toMatchObject({ state: 'completed', size: file.length, crc64: crcOf(file) });
    expect(done.body.upload.etag).toMatch(/^"[0-9a-f]{32}-3"$/);
    const stored = await getObjectBytes(officialCos(stack.cosUrl), stack.bucket, stack.region, up.key);
    expect(Buffer.compare(stored, Buffer.from(file))).toBe(0);

    // Completing again is idempotent: the same 200.
    const again = await alice.complete(up.id);
    expect(again.status).toBe(200);
    expect(again.body.upload).toEqual(done.body.upload);
  });

  it('a single upload is part 1 of a one-part multipart upload; its headers are set at Initiate', async () => {
    const file = bytesOf(300 * 1024, 3);
    const created = await alice.create({
      fileName: 'note.txt',
      size: file.length,
      contentType: 'text/plain',
      metadata: { album: '2026' },
    });
    const up = created.body.upload;
    expect(up).toMatchObject({ strategy: 'single', partCount: 1, partSize: file.length });
    expect(up.cosUploadId).toEqual(expect.any(String));
    expect(up.location).toBe(`${stack.bucketUrl}/${up.key.split('/').map(encodeURIComponent).join('/')}`);
    const { body } = await alice.partUrls(up.id, { partNumbers: [1] });
    const url = body.urls[0]!;
    expect(new URL(url.url).searchParams.get('uploadId')).toBe(up.cosUploadId);
    expect(Object.keys(url.headers).map((h) => h.toLowerCase())).not.toContain('content-type');
    // Another length than the signed one is refused by COS itself.
    const short = file.subarray(1);
    expect((await putPart(url, short, { 'Content-Length': String(short.length) })).status).toBe(403);
    expect((await putPart(url, file)).status).toBe(200);
    // No body: the server takes part 1 from List Parts.
    const done = await alice.complete(up.id);
    expect(done.status, JSON.stringify(done.body)).toBe(200);
    expect(done.body.upload).toMatchObject({ state: 'completed', size: file.length, partCount: 1 });
    const head = await headObject(officialCos(stack.cosUrl), stack, up.key);
    expect(head.headers['x-cos-meta-album']).toBe('2026');
    expect(head.headers['content-type']).toBe('text/plain');
  });

  it('unknown size: finalPartSize fixes the size and the last part', async () => {
    const file = bytesOf(2 * MiB + 123, 11);
    const created = await alice.create({ fileName: 'stream.bin', maxSize: 10 * MiB });
    const up = created.body.upload;
    expect(up).toMatchObject({ size: null, partCount: null, maxSize: 10 * MiB, strategy: 'multipart' });
    const first = await alice.partUrls(up.id, { partNumbers: [1, 2] });
    const last = await alice.partUrls(up.id, { partNumbers: [3], finalPartSize: 123 });
    expect(last.status, JSON.stringify(last.body)).toBe(200);
    const parts = [];
    for (const u of [...first.body.urls, ...last.body.urls]) {
      const bytes = file.subarray((u.partNumber - 1) * MiB, u.partNumber * MiB);
      const put = await putPart(u, bytes);
      expect(put.status, put.text).toBe(200);
      parts.push({ partNumber: u.partNumber, etag: put.etag! });
    }
    const fixed = await alice.get(up.id);
    expect(fixed.body.upload).toMatchObject({ size: file.length, partCount: 3 });
    // A different final size afterwards is a client bug.
    expectError(await alice.partUrls(up.id, { partNumbers: [4], finalPartSize: 5 }), 400, 'VALIDATION_FAILED');
    const done = await alice.complete(up.id, { parts });
    expect(done.status, JSON.stringify(done.body)).toBe(200);
    expect(done.body.upload.size).toBe(file.length);
  });

  it('resume: GET lists recorded parts; a re-uploaded part recorded twice wins with its last ETag', async () => {
    const file = bytesOf(2 * MiB + 5, 5);
    const { up, parts } = await uploadParts(file, [1]);
    await alice.record(up.id, parts);
    // "Restart": a fresh client knows only the id.
    const resumed = await alice.get(up.id);
    expect(resumed.body.parts.map((p) => p.partNumber)).toEqual([1]);
    expect(resumed.body.parts[0]).toMatchObject({ etag: parts[0]!.etag, size: MiB });

    const urls = (await alice.partUrls(up.id, { partNumbers: [1, 2, 3] })).body.urls;
    const corrupt = bytesOf(MiB, 99);
    const first = await putPart(urls[0]!, corrupt);
    await alice.record(up.id, [{ partNumber: 1, etag: first.etag! }]);
    const again = await putPart(urls[0]!, file.subarray(0, MiB));
    const rest = [];
    for (const u of urls.slice(1)) {
      const put = await putPart(u, file.subarray((u.partNumber - 1) * MiB, u.partNumber * MiB));
      rest.push({ partNumber: u.partNumber, etag: put.etag! });
    }
    await alice.record(up.id, [{ partNumber: 1, etag: again.etag! }, ...rest]);
    const ledger = await alice.get(up.id);
    expect(ledger.body.parts.find((p) => p.partNumber === 1)!.etag).toBe(again.etag);
    const done = await alice.complete(up.id);
    expect(done.status, JSON.stringify(done.body)).toBe(200);
    const stored = await getObjectBytes(officialCos(stack.cosUrl), stack.bucket, stack.region, up.key);
    expect(Buffer.compare(stored, Buffer.from(file))).toBe(0);
  });

  it('abort removes the COS upload; complete afterwards is 409; abort again is 204', async () => {
    const file = bytesOf(2 * MiB, 8);
    const { up } = await uploadParts(file, [1]);
    expect((await alice.abort(up.id)).status).toBe(204);
    const cos = officialCos(stack.cosUrl);
    await expect(listParts(cos, stack, up.key, up.cosUploadId)).rejects.toMatchObject({ statusCode: 404 });
    expect((await alice.get(up.id)).body.upload.state).toBe('aborted');
    expectError(await alice.complete(up.id), 409, 'UPLOAD_NOT_OPEN');
    expectError(await alice.partUrls(up.id, { partNumbers: [1] }), 409, 'UPLOAD_NOT_OPEN');
    expectError(await alice.record(up.id, [{ partNumber: 1, etag: '"abc"' }]), 409, 'UPLOAD_NOT_OPEN');
    expect((await alice.abort(up.id)).status).toBe(204);
  });

  it('DELETE on a completed upload is 409', async () => {
    const file = bytesOf(1000, 2);
    const up = (await alice.create({ fileName: 'tiny.bin', size: file.length })).body.upload;
    const url = (await alice.partUrls(up.id, { partNumbers: [1] })).body.urls[0]!;
    await putPart(url, file);
    expect((await alice.complete(up.id)).status).toBe(200);
    expectError(await alice.abort(up.id), 409, 'UPLOAD_NOT_OPEN');
  });
});

describe('every error row of the contract', () => {
  it('COS rejects a part PUT of another length because the URL binds it', async () => {
    const file = bytesOf(2 * MiB, 4);
    const up = (await alice.create({ fileName: 'a.bin', size: file.length + 1 })).body.upload;
    const url = (await alice.partUrls(up.id, { partNumbers: [1] })).body.urls[0]!;
    const res = await fetch(url.url, { method: 'PUT', body: file.subarray(0, MiB - 1) });
    expect(res.status).toBe(403);
  });

  it('PARTS_INVALID: missing, wrong size and wrong ETag — with details, and the upload stays open', async () => {
    const file = bytesOf(2.5 * MiB, 9);
    const { up, parts } = await uploadParts(file, [1, 3]);
    // Part 2 uploaded with the account key (not a presigned URL), at the wrong size.
    const cos = officialCos(stack.cosUrl);
    const wrong = await sdk<{ ETag: string }>(cos.multipartUpload.bind(cos) as never, {
      Bucket: stack.bucket,
      Region: stack.region,
      Key: up.key,
      UploadId: up.cosUploadId,
      PartNumber: 2,
      Body: Buffer.from(bytesOf(MiB - 7, 1)),
    });
    await alice.record(up.id, [
      { ...parts[0]!, etag: '"0123456789abcdef0123456789abcdef"' },
      { partNumber: 2, etag: wrong.ETag },
      parts[1]!,
    ]);
    const r = await alice.complete(up.id);
    expectError(r, 409, 'PARTS_INVALID');
    const d = (r.body as unknown as { error: { details: Record<string, unknown> } }).error.details;
    expect(d.missing).toEqual([]);
    expect(d.wrongSize).toEqual([{ partNumber: 2, expected: MiB, actual: MiB - 7 }]);
    expect(d.etagMismatch).toEqual([
      { partNumber: 1, recorded: '"0123456789abcdef0123456789abcdef"', stored: parts[0]!.etag },
    ]);
    expect((await alice.get(up.id)).body.upload.state).toBe('open');

    const missing = await uploadParts(file, [1]);
    await alice.record(missing.up.id, missing.parts);
    const m = await alice.complete(missing.up.id);
    expectError(m, 409, 'PARTS_INVALID');
    expect((m.body as unknown as { error: { details: { missing: number[] } } }).error.details.missing).toEqual([2, 3]);
    expect((await alice.get(missing.up.id)).body.upload.state).toBe('open');
  });

  it('PARTS_INVALID with crc64Mismatch when the parts do not combine to the declared CRC', async () => {
    const file = bytesOf(2 * MiB, 12);
    const { up, parts } = await uploadParts(file, 'all', { crc64: '12345' });
    await alice.record(up.id, parts);
    const r = await alice.complete(up.id);
    expectError(r, 409, 'PARTS_INVALID');
    expect(
      (r.body as unknown as { error: { details: { crc64Mismatch: unknown } } }).error.details.crc64Mismatch,
    ).toEqual({ expected: '12345', actual: crcOf(file) });
  });

  it('404 for another owner (same body as an unknown id) and for unknown routes', async () => {
    const up = (await alice.create({ fileName: 'mine.bin', size: 10 })).body.upload;
    const other = await bob.get(up.id);
    const unknown = await bob.get('upl_00000000000000000000000000');
    expectError(other, 404, 'NOT_FOUND');
    expect(other.body).toEqual(unknown.body);
    for (const r of [
      await bob.abort(up.id),
      await bob.complete(up.id),
      await bob.partUrls(up.id, { partNumbers: [1] }),
    ])
      expectError(r, 404, 'NOT_FOUND');
    expect((await alice.get(up.id)).body.upload.state).toBe('open');
    expectError(await alice.call('GET', '/v1/nope'), 404, 'NOT_FOUND');
    expectError(await alice.call('GET', '/v1/uploads/not-an-id'), 400, 'VALIDATION_FAILED');
  });

  it('400 MALFORMED_JSON and VALIDATION_FAILED change nothing', async () => {
    expectError(await alice.call('POST', '/v1/uploads', undefined, '{"fileName": "x"'), 400, 'MALFORMED_JSON');
    const r = await alice.create({ fileName: 'x', size: 1.5 });
    expectError(r, 400, 'VALIDATION_FAILED');
    const up = (await alice.create({ fileName: 'p.bin', size: 3 * MiB })).body.upload;
    expectError(await alice.partUrls(up.id, { partNumbers: [4] }), 400, 'VALIDATION_FAILED');
    expectError(await alice.partUrls(up.id, { partNumbers: [1, 1] }), 400, 'VALIDATION_FAILED');
    expectError(
      await alice.partUrls(up.id, { partNumbers: Array.from({ length: 1001 }, (_, i) => i + 1) }),
      400,
      'VALIDATION_FAILED',
    );
    expectError(await alice.record(up.id, [{ partNumber: 10_001, etag: '"a"' }]), 400, 'VALIDATION_FAILED');
    expect((await alice.get(up.id)).body.parts).toEqual([]);
  });

  it('413 over the size limit, 415 for a disallowed type, 401 without a token', async () => {
    expectError(await alice.create({ fileName: 'big.bin', size: 64 * MiB + 1 }), 413, 'UPLOAD_TOO_LARGE');
    expectError(await alice.create({ fileName: 'big.bin', maxSize: 64 * MiB + 1 }), 413, 'UPLOAD_TOO_LARGE');
    expectError(
      await alice.create({ fileName: 'x.exe', size: 10, contentType: 'application/x-msdownload' }),
      415,
      'CONTENT_TYPE_NOT_ALLOWED',
    );
    const anon = await fetch(`${stack.apiUrl}/v1/uploads`, { method: 'POST', body: '{}' });
    expect(anon.status).toBe(401);
  });

  it('429 when the owner already has MAX_OPEN_UPLOADS_PER_OWNER open uploads', async () => {
    const carol = apiClient(stack.apiUrl, await stack.token('carol'));
    for (let i = 0; i < 50; i++) expect((await carol.create({ fileName: `f${i}`, size: 1 })).status).toBe(201);
    expectError(await carol.create({ fileName: 'one-more', size: 1 }), 429, 'TOO_MANY_OPEN_UPLOADS');
  });

  it('503 STORAGE_UNAVAILABLE when COS keeps failing; nothing is created', async () => {
    const dave = apiClient(stack.apiUrl, await stack.token('dave'));
    stack.emulator.faults.add({
      op: 'InitiateMultipartUpload',
      count: 50,
      action: { type: 'error', status: 503, code: 'ServiceUnavailable' },
    });
    try {
      const r = await dave.create({ fileName: 'x.bin', size: 5 * MiB });
      expectError(r, 503, 'STORAGE_UNAVAILABLE');
      expect(JSON.stringify(r.body)).not.toMatch(/<Error>|stack|SecretKey/);
    } finally {
      stack.emulator.faults.clear();
    }
    expect((await dave.create({ fileName: 'x.bin', size: 5 * MiB })).status).toBe(201);
  });
});

describe('restart', () => {
  it('an open upload survives a restart of the stack on the same DATA_DIR and completes', async () => {
    const file = bytesOf(2 * MiB + 10, 21);
    const { up, parts } = await uploadParts(file, [1, 2]);
    await alice.record(up.id, parts);
    stack = await testStack!.restart();
    alice = apiClient(stack.apiUrl, await stack.token('alice'));
    const resumed = await alice.get(up.id);
    expect(resumed.body.parts.map((p) => p.partNumber)).toEqual([1, 2]);
    const url = (await alice.partUrls(up.id, { partNumbers: [3] })).body.urls[0]!;
    const put = await putPart(url, file.subarray(2 * MiB));
    await alice.record(up.id, [{ partNumber: 3, etag: put.etag! }]);
    const done = await alice.complete(up.id);
    expect(done.status, JSON.stringify(done.body)).toBe(200);
    const stored = await getObjectBytes(officialCos(stack.cosUrl), stack.bucket, stack.region, up.key);
    expect(Buffer.compare(stored, Buffer.from(file))).toBe(0);
  });
});
