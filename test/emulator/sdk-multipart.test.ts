import { randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { crc64 as wasmCrc64 } from 'crc64-ecma182.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listParams, startTestEmulator, type TestEmulator } from '../helpers/cos-emulator.ts';

/** Multipart uploads through the official cos-nodejs-sdk-v5, checked against independent MD5/CRC64. */

const MiB = 1024 * 1024;

/** The independent CRC-64/ECMA-182 (a wasm build with a 16 MiB heap, so fed in 1 MiB slices). */
function crc64(data: Buffer): string {
  let acc = '0';
  for (let i = 0; i < data.length; i += MiB) acc = wasmCrc64(data.subarray(i, i + MiB), acc);
  return acc;
}
let t: TestEmulator;
beforeAll(async () => {
  t = await startTestEmulator();
});
afterAll(() => t.close());

describe('multipart via the official COS SDK', () => {
  it('init → parts out of order with a re-upload → paged ListParts → complete → same bytes and CRC64', async () => {
    const cos = t.cos();
    const Key = 'videos/clip (final)+1.mp4';
    const parts = [randomBytes(MiB + 17), randomBytes(MiB), randomBytes(123_457)];
    const init = await cos.multipartInit({
      ...t.target,
      Key,
      ContentType: 'video/mp4',
      Headers: { 'x-cos-meta-origin': 'test' },
    });
    const UploadId = init.UploadId;
    expect(UploadId).toMatch(/^\w{20,}$/);

    const up = (n: number, body: Buffer) =>
      cos.multipartUpload({ ...t.target, Key, UploadId, PartNumber: n, Body: body });
    const etags: string[] = [];
    etags[3] = (await up(3, parts[2]!)).ETag;
    await up(1, randomBytes(MiB)); // replaced below
    etags[2] = (await up(2, parts[1]!)).ETag;
    const p1 = await up(1, parts[0]!);
    etags[1] = p1.ETag;
    expect(p1.headers?.['x-cos-hash-crc64ecma']).toBe(crc64(parts[0]!));

    const seen: { PartNumber: unknown; ETag: string; Size: unknown }[] = [];
    let marker: string | undefined;
    let pages = 0;
    for (;;) {
      const page = await cos.multipartListPart({ ...t.target, Key, UploadId, MaxParts: 2, PartNumberMarker: marker });
      pages++;
      seen.push(...page.Part);
      if (page.IsTruncated !== 'true') break;
      marker = String(page.NextPartNumberMarker);
    }
    expect(pages).toBe(2);
    expect(seen.map((p) => Number(p.PartNumber))).toEqual([1, 2, 3]);
    expect(seen.map((p) => p.ETag)).toEqual([etags[1], etags[2], etags[3]]);
    expect(seen.map((p) => Number(p.Size))).toEqual(parts.map((p) => p.length));

    const done = await cos.multipartComplete({
      ...t.target,
      Key,
      UploadId,
      Parts: [1, 2, 3].map((n) => ({ PartNumber: n, ETag: etags[n]! })),
    });
    expect(done.statusCode).toBe(200);
    expect((done as unknown as { Key: string }).Key).toBe(Key);
    expect(done.ETag).toMatch(/^"[0-9a-f]{32}-3"$/);
    const whole = Buffer.concat(parts);
    expect(done.headers?.['x-cos-hash-crc64ecma']).toBe(crc64(whole));

    const got = await cos.getObject({ ...t.target, Key });
    const bytes = Buffer.from(got.Body as Buffer);
    expect(bytes.equals(whole)).toBe(true);
    expect(crc64(bytes)).toBe(got.headers?.['x-cos-hash-crc64ecma']);
    expect(got.headers?.['content-type']).toBe('video/mp4');
    expect(got.headers?.['x-cos-meta-origin']).toBe('test');
    expect(got.ETag).toBe(done.ETag);

    // The upload is gone once completed.
    await expect(cos.multipartListPart({ ...t.target, Key, UploadId })).rejects.toMatchObject({ code: 'NoSuchUpload' });
  });

  it('aborts an upload, after which it is unknown', async () => {
    const cos = t.cos();
    const Key = 'aborted.bin';
    const blobs = () => readdirSync(join(t.dataDir, 'blobs')).length;
    const before = blobs();
    const { UploadId } = await cos.multipartInit({ ...t.target, Key });
    await cos.multipartUpload({ ...t.target, Key, UploadId, PartNumber: 1, Body: Buffer.from('abc') });
    await cos.multipartUpload({ ...t.target, Key, UploadId, PartNumber: 1, Body: Buffer.from('abcd') });
    expect(blobs()).toBe(before + 1); // the re-uploaded part replaced its file
    const res = await cos.multipartAbort({ ...t.target, Key, UploadId });
    expect(res.statusCode).toBe(204);
    expect(blobs()).toBe(before); // and abort removed it
    await expect(cos.multipartListPart({ ...t.target, Key, UploadId })).rejects.toMatchObject({
      code: 'NoSuchUpload',
      statusCode: 404,
    });
    await expect(cos.multipartAbort({ ...t.target, Key, UploadId })).rejects.toMatchObject({ code: 'NoSuchUpload' });
  });

  it('lists multipart uploads in pages, filtered by prefix', async () => {
    const cos = t.cos();
    const made: string[] = [];
    for (const Key of ['list/b', 'list/a', 'list/a', 'list/c d', 'other/x']) {
      const { UploadId } = await cos.multipartInit({ ...t.target, Key });
      if (Key.startsWith('list/')) made.push(`${Key}|${UploadId}`);
    }
    const seen: string[] = [];
    let KeyMarker: string | undefined;
    let UploadIdMarker: string | undefined;
    let pages = 0;
    for (;;) {
      const page = await cos.multipartList(
        listParams({ ...t.target, Prefix: 'list/', MaxUploads: 2, KeyMarker, UploadIdMarker }),
      );
      pages++;
      seen.push(...page.Upload.map((u) => `${u.Key}|${u.UploadId}`));
      if (page.IsTruncated !== 'true') break;
      KeyMarker = page.NextKeyMarker;
      UploadIdMarker = page.NextUploadIdMarker;
    }
    expect(pages).toBe(2);
    expect(seen).toEqual([...made].sort());
  });

  it('key-marker without upload-id-marker lists only keys strictly after it (436/7736)', async () => {
    const cos = t.cos();
    const ids: Record<string, string> = {};
    for (const Key of ['km/a', 'km/b', 'km/b', 'km/c'])
      ids[Key] = (await cos.multipartInit({ ...t.target, Key })).UploadId;
    const keys = async (KeyMarker: string, UploadIdMarker?: string) =>
      (await cos.multipartList(listParams({ ...t.target, Prefix: 'km/', KeyMarker, UploadIdMarker }))).Upload.map(
        (u) => u.Key,
      );
    expect(await keys('km/b')).toEqual(['km/c']);
    // With upload-id-marker, that key's uploads after the id come first.
    expect(await keys('km/b', '0')).toEqual(['km/b', 'km/b', 'km/c']);
    expect(await keys('km/a')).toEqual(['km/b', 'km/b', 'km/c']);
  });

  it('folds keys under a delimiter into CommonPrefixes', async () => {
    const cos = t.cos();
    for (const Key of ['tree/a/1', 'tree/a/2', 'tree/b/1', 'tree/top']) await cos.multipartInit({ ...t.target, Key });
    const page = await cos.multipartList(listParams({ ...t.target, Prefix: 'tree/', Delimiter: '/' }));
    expect(page.Upload.map((u) => u.Key)).toEqual(['tree/top']);
    const common = (page as unknown as { CommonPrefixes: { Prefix: string }[] | { Prefix: string } }).CommonPrefixes;
    expect([common].flat().map((c) => c.Prefix)).toEqual(['tree/a/', 'tree/b/']);
  });

  it('rejects part numbers outside 1..10000 and parts for an unknown upload', async () => {
    const cos = t.cos();
    const Key = 'bad-part.bin';
    const { UploadId } = await cos.multipartInit({ ...t.target, Key });
    await expect(
      cos.multipartUpload({ ...t.target, Key, UploadId, PartNumber: 10001, Body: Buffer.from('x') }),
    ).rejects.toMatchObject({ code: 'InvalidArgument' });
    await expect(
      cos.multipartUpload({ ...t.target, Key: 'other-key', UploadId, PartNumber: 1, Body: Buffer.from('x') }),
    ).rejects.toMatchObject({ code: 'NoSuchUpload' });
  });

  it('sliceUploadFile uploads a 25 MiB file that reads back identical', async () => {
    const file = join(t.dataDir, 'upload-25mib.bin');
    const data = randomBytes(25 * MiB);
    await writeFile(file, data);
    const cos = t.cos({ ChunkParallelLimit: 3 });
    const res = await cos.sliceUploadFile({ ...t.target, Key: 'big/25mib.bin', FilePath: file, ChunkSize: 5 * MiB });
    expect(res.statusCode).toBe(200);
    expect(res.ETag).toMatch(/-5"$/);
    const head = await cos.headObject({ ...t.target, Key: 'big/25mib.bin' });
    expect(head.headers?.['content-length']).toBe(String(data.length));
    expect(head.headers?.['x-cos-hash-crc64ecma']).toBe(crc64(data));
    const got = await cos.getObject({ ...t.target, Key: 'big/25mib.bin' });
    expect(Buffer.from(got.Body as Buffer).equals(data)).toBe(true);
  });
});
