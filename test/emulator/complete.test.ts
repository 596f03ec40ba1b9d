import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sdkError, signedFetch, startTestEmulator, type TestEmulator } from '../helpers/cos-emulator.ts';

/** Complete Multipart Upload's validations and its 200-with-<Error> failure mode. */

const MiB = 1024 * 1024;
let t: TestEmulator;
beforeAll(async () => {
  t = await startTestEmulator();
});
afterAll(() => t.close());

/** An upload with parts of the given sizes; returns its id and the part ETags (index = part number). */
async function uploadWith(Key: string, sizes: number[]) {
  const cos = t.cos();
  const { UploadId } = await cos.multipartInit({ ...t.target, Key });
  const etags: string[] = [];
  for (const [i, size] of sizes.entries()) {
    etags[i + 1] = (
      await cos.multipartUpload({ ...t.target, Key, UploadId, PartNumber: i + 1, Body: randomBytes(size) })
    ).ETag;
  }
  return { cos, UploadId, etags };
}

describe('Complete Multipart Upload validation', () => {
  it('InvalidPartOrder when parts are not ascending', async () => {
    const { cos, UploadId, etags } = await uploadWith('order.bin', [MiB, MiB]);
    const err = await sdkError(
      cos.multipartComplete({
        ...t.target,
        Key: 'order.bin',
        UploadId,
        Parts: [
          { PartNumber: 2, ETag: etags[2]! },
          { PartNumber: 1, ETag: etags[1]! },
        ],
      }),
    );
    expect([err.statusCode, err.code]).toEqual([400, 'InvalidPartOrder']);
  });

  it('InvalidPart for a wrong ETag or a part never uploaded', async () => {
    const { cos, UploadId, etags } = await uploadWith('etag.bin', [MiB, 10]);
    const wrong = await sdkError(
      cos.multipartComplete({
        ...t.target,
        Key: 'etag.bin',
        UploadId,
        Parts: [
          { PartNumber: 1, ETag: etags[1]! },
          { PartNumber: 2, ETag: '"0123456789abcdef0123456789abcdef"' },
        ],
      }),
    );
    expect([wrong.statusCode, wrong.code]).toEqual([400, 'InvalidPart']);
    const missing = await sdkError(
      cos.multipartComplete({
        ...t.target,
        Key: 'etag.bin',
        UploadId,
        Parts: [
          { PartNumber: 1, ETag: etags[1]! },
          { PartNumber: 3, ETag: etags[2]! },
        ],
      }),
    );
    expect(missing.code).toBe('InvalidPart');
  });

  it('InvalidPart for a gap in the part numbers, or a list not starting at 1 (436/7742), though every part exists', async () => {
    const { cos, UploadId, etags } = await uploadWith('gap.bin', [MiB, MiB, MiB, 5]);
    const listed = (...numbers: number[]) => numbers.map((n) => ({ PartNumber: n, ETag: etags[n]! }));
    const gap = await sdkError(
      cos.multipartComplete({ ...t.target, Key: 'gap.bin', UploadId, Parts: listed(1, 2, 4) }),
    );
    expect([gap.statusCode, gap.code]).toEqual([400, 'InvalidPart']);
    const late = await sdkError(
      cos.multipartComplete({ ...t.target, Key: 'gap.bin', UploadId, Parts: listed(2, 3, 4) }),
    );
    expect([late.statusCode, late.code]).toEqual([400, 'InvalidPart']);
    // Nothing was consumed: the consecutive list completes.
    const ok = await cos.multipartComplete({ ...t.target, Key: 'gap.bin', UploadId, Parts: listed(1, 2, 3, 4) });
    expect(ok.statusCode).toBe(200);
  });

  it('EntityTooSmall when a part other than the last is under 1 MiB', async () => {
    const { cos, UploadId, etags } = await uploadWith('small.bin', [MiB - 1, 5]);
    const err = await sdkError(
      cos.multipartComplete({
        ...t.target,
        Key: 'small.bin',
        UploadId,
        Parts: [
          { PartNumber: 1, ETag: etags[1]! },
          { PartNumber: 2, ETag: etags[2]! },
        ],
      }),
    );
    expect([err.statusCode, err.code]).toEqual([400, 'EntityTooSmall']);
    // The last part may be small, and a single small part is a valid object.
    const ok = await cos.multipartComplete({
      ...t.target,
      Key: 'small.bin',
      UploadId,
      Parts: [{ PartNumber: 1, ETag: etags[1]! }],
    });
    expect(ok.statusCode).toBe(200);
  });

  it('NoSuchUpload (404, before any 200) for an unknown upload id', async () => {
    const err = await sdkError(
      t.cos().multipartComplete({
        ...t.target,
        Key: 'nope.bin',
        UploadId: '1700000000deadbeef',
        Parts: [{ PartNumber: 1, ETag: '"x"' }],
      }),
    );
    expect([err.statusCode, err.code]).toEqual([404, 'NoSuchUpload']);
  });

  it('MalformedXML for a body that is not a part list', async () => {
    const { UploadId } = await uploadWith('xml.bin', [5]);
    const res = await signedFetch(t.emulator, {
      method: 'POST',
      key: 'xml.bin',
      query: { uploadId: UploadId },
      body: '<CompleteMultipartUpload><Part>',
      headers: { 'content-type': 'application/xml' },
    });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('<Code>MalformedXML</Code>');
  });
});

describe('Complete Multipart Upload streaming', () => {
  it('answers 200 with a chunked body, whitespace first, the CRC in the header', async () => {
    const { UploadId, etags } = await uploadWith('stream.bin', [MiB, 3]);
    const xml = `<CompleteMultipartUpload>${[1, 2].map((n) => `<Part><PartNumber>${n}</PartNumber><ETag>${etags[n]}</ETag></Part>`).join('')}</CompleteMultipartUpload>`;
    const res = await signedFetch(t.emulator, {
      method: 'POST',
      key: 'stream.bin',
      query: { uploadId: UploadId },
      body: xml,
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('transfer-encoding')).toBe('chunked');
    expect(res.headers.get('x-cos-hash-crc64ecma')).toMatch(/^\d+$/);
    const body = await res.text();
    expect(body.startsWith(' ')).toBe(true);
    expect(body.trim()).toMatch(
      /^<CompleteMultipartUploadResult><Location>.+<\/Location><Bucket>uploads-1250000000<\/Bucket><Key>stream.bin<\/Key><ETag>"[0-9a-f]{32}-2"<\/ETag><\/CompleteMultipartUploadResult>$/,
    );
  });

  it('a completeError fault is a 200 whose body is an <Error>; the SDK reports it and nothing is completed', async () => {
    const { cos, UploadId, etags } = await uploadWith('late-error.bin', [MiB, 1]);
    const Parts = [
      { PartNumber: 1, ETag: etags[1]! },
      { PartNumber: 2, ETag: etags[2]! },
    ];
    t.emulator.faults.add({ op: 'CompleteMultipartUpload', action: { type: 'completeError' } });
    const err = await sdkError(cos.multipartComplete({ ...t.target, Key: 'late-error.bin', UploadId, Parts }));
    expect(err.statusCode).toBe(200);
    expect(err.code).toBe('InternalError');
    await expect(cos.headObject({ ...t.target, Key: 'late-error.bin' })).rejects.toMatchObject({ statusCode: 404 });
    expect((await cos.multipartListPart({ ...t.target, Key: 'late-error.bin', UploadId })).Part).toHaveLength(2);
    // The fault was used up: the retry completes.
    expect((await cos.multipartComplete({ ...t.target, Key: 'late-error.bin', UploadId, Parts })).statusCode).toBe(200);
  });
});
