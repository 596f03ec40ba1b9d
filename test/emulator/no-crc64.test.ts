import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Faults } from '../../local/cos/faults.ts';
import { startTestEmulator, type TestEmulator } from '../helpers/cos-emulator.ts';

/**
 * The `noCrc64` fault: COS returns a completed object's CRC64 only when every part has one
 * (436/43320), so clients must cope with a response without `x-cos-hash-crc64ecma`. Seen through
 * the official SDK on each operation the fault applies to.
 */

const CRC = 'x-cos-hash-crc64ecma';
let t: TestEmulator;
beforeAll(async () => {
  t = await startTestEmulator();
});
afterAll(() => t.close());
afterEach(() => t.emulator.faults.clear());

const noCrc64 = (op: 'PutObject' | 'UploadPart' | 'CompleteMultipartUpload' | 'HeadObject' | 'GetObject', count = 1) =>
  t.emulator.faults.add({ op, count, action: { type: 'noCrc64' } });

describe('noCrc64', () => {
  it('PutObject: that response has no CRC64, the next one does', async () => {
    const cos = t.cos();
    noCrc64('PutObject');
    const first = await cos.putObject({ ...t.target, Key: 'crc/put', Body: Buffer.from('a') });
    expect(first.statusCode).toBe(200);
    expect(first.headers?.[CRC]).toBeUndefined();
    const second = await cos.putObject({ ...t.target, Key: 'crc/put', Body: Buffer.from('a') });
    expect(second.headers?.[CRC]).toMatch(/^\d+$/);
  });

  it('UploadPart and Complete: no CRC64 in those responses; the object keeps its CRC for HEAD', async () => {
    const cos = t.cos();
    const Key = 'crc/multipart';
    const { UploadId } = await cos.multipartInit({ ...t.target, Key });
    noCrc64('UploadPart');
    const part = await cos.multipartUpload({ ...t.target, Key, UploadId, PartNumber: 1, Body: Buffer.from('p') });
    expect(part.ETag).toMatch(/^"[0-9a-f]{32}"$/);
    expect(part.headers?.[CRC]).toBeUndefined();
    noCrc64('CompleteMultipartUpload');
    const done = await cos.multipartComplete({
      ...t.target,
      Key,
      UploadId,
      Parts: [{ PartNumber: 1, ETag: part.ETag }],
    });
    expect(done.statusCode).toBe(200);
    expect(done.headers?.[CRC]).toBeUndefined();
    expect((await cos.headObject({ ...t.target, Key })).headers?.[CRC]).toMatch(/^\d+$/);
  });

  it('HeadObject with count N: N HEAD responses lack it, then it is back; GetObject too', async () => {
    const cos = t.cos();
    await cos.putObject({ ...t.target, Key: 'crc/head', Body: Buffer.from('h') });
    noCrc64('HeadObject', 2);
    const heads = [];
    for (let i = 0; i < 3; i++) heads.push((await cos.headObject({ ...t.target, Key: 'crc/head' })).headers?.[CRC]);
    expect(heads.map((h) => h === undefined)).toEqual([true, true, false]);
    noCrc64('GetObject');
    const get = await cos.getObject({ ...t.target, Key: 'crc/head' });
    expect(Buffer.from(get.Body as Buffer).toString()).toBe('h');
    expect(get.headers?.[CRC]).toBeUndefined();
  });

  it('only matches operations that answer a CRC64; slowMerge only Complete; both validate ms/type', () => {
    const f = new Faults();
    f.add({ action: { type: 'noCrc64' } });
    expect(f.take({ op: 'ListParts', method: 'GET', key: 'k' })).toBeNull();
    expect(f.take({ op: 'HeadObject', method: 'HEAD', key: 'k' })).toEqual({ type: 'noCrc64' });
    f.add({ action: { type: 'slowMerge', ms: 10 } });
    expect(f.take({ op: 'UploadPart', method: 'PUT', key: 'k' })).toBeNull();
    expect(f.take({ op: 'CompleteMultipartUpload', method: 'POST', key: 'k' })).toEqual({ type: 'slowMerge', ms: 10 });
    expect(() => f.add({ action: { type: 'slowMerge', ms: -1 } })).toThrow(/slowMerge/);
  });

  it('is accepted over the loopback admin route', async () => {
    const admin = `${t.emulator.url}/__emulator/faults`;
    const add = await fetch(admin, {
      method: 'POST',
      body: JSON.stringify([
        { op: 'PutObject', action: { type: 'noCrc64' } },
        { op: 'CompleteMultipartUpload', action: { type: 'slowMerge', ms: 1 } },
      ]),
    });
    expect(add.status).toBe(200);
    const put = await t.cos().putObject({ ...t.target, Key: 'crc/admin', Body: Buffer.from('x') });
    expect(put.headers?.[CRC]).toBeUndefined();
  });
});
