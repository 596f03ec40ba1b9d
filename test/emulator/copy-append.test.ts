import { randomBytes } from 'node:crypto';
import COS from 'cos-nodejs-sdk-v5';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crc64 } from '../../shared/core/crc64.ts';
import { startTestEmulator, TEST_BUCKET, TEST_REGION, type TestEmulator } from '../helpers/cos-emulator.ts';

/**
 * Upload Part - Copy (436/8287), PUT Object - Copy (436/10881) and APPEND Object (436/7741), each
 * driven by the official SDK's own call (uploadPartCopy / sliceCopyFile, putObjectCopy, appendObject).
 */

let t: TestEmulator;
let cos: COS;
const HOST = `${TEST_BUCKET}.cos.${TEST_REGION}.myqcloud.com`;
const source = (key: string) => `${HOST}/${encodeURIComponent(key).replace(/%2F/g, '/')}`;
const MiB = 1024 * 1024;
const err = (p: Promise<unknown>) =>
  p.then(
    () => 'ok',
    (e: { statusCode?: number; code?: string }) => `${e.statusCode} ${e.code}`,
  );

beforeAll(async () => {
  t = await startTestEmulator();
  cos = t.cos();
});
afterAll(() => t.close());

async function bytesOf(key: string): Promise<Buffer> {
  const r = await cos.getObject({ ...t.target, Key: key });
  return r.Body as Buffer;
}

describe('Upload Part - Copy', () => {
  it('copies whole objects and ranges as parts (uploadPartCopy), and Complete joins them byte-exact', async () => {
    const a = randomBytes(MiB + 5);
    const b = randomBytes(3000);
    await cos.putObject({ ...t.target, Key: 'copy/a b+(1).bin', Body: a });
    await cos.putObject({ ...t.target, Key: 'copy/b.bin', Body: b });
    const { UploadId } = await cos.multipartInit({ ...t.target, Key: 'copy/joined' });
    const p1 = await cos.uploadPartCopy({
      ...t.target,
      Key: 'copy/joined',
      UploadId,
      PartNumber: 1,
      CopySource: source('copy/a b+(1).bin'),
    });
    expect(p1.ETag).toMatch(/^"[0-9a-f]{32}"$/);
    expect(p1.headers?.['x-cos-hash-crc64ecma']).toBe(crc64(a).toString());
    const p2 = await cos.uploadPartCopy({
      ...t.target,
      Key: 'copy/joined',
      UploadId,
      PartNumber: 2,
      CopySource: source('copy/b.bin'),
      CopySourceRange: 'bytes=10-1009',
    });
    expect(p2.headers?.['x-cos-hash-crc64ecma']).toBe(crc64(b.subarray(10, 1010)).toString());
    await cos.multipartComplete({
      ...t.target,
      Key: 'copy/joined',
      UploadId,
      Parts: [
        { PartNumber: 1, ETag: p1.ETag },
        { PartNumber: 2, ETag: p2.ETag },
      ],
    });
    expect((await bytesOf('copy/joined')).equals(Buffer.concat([a, b.subarray(10, 1010)]))).toBe(true);
  });

  it('answers 404 NoSuchKey for a missing source and 416 InvalidRange for a range past its end', async () => {
    await cos.putObject({ ...t.target, Key: 'copy/small', Body: Buffer.from('0123456789') });
    const { UploadId } = await cos.multipartInit({ ...t.target, Key: 'copy/x' });
    const part = (CopySource: string, CopySourceRange?: string) =>
      err(
        cos.uploadPartCopy({
          ...t.target,
          Key: 'copy/x',
          UploadId,
          PartNumber: 1,
          CopySource,
          ...(CopySourceRange ? { CopySourceRange } : {}),
        }),
      );
    expect(await part(source('copy/none'))).toBe('404 NoSuchKey');
    expect(await part(source('copy/small'), 'bytes=5-10')).toBe('416 InvalidRange');
    expect(await part(source('copy/small'), 'bytes=5-9')).toBe('ok');
  });

  it('sliceCopyFile (the SDK helper built on uploadPartCopy) copies an object in parts', async () => {
    const big = randomBytes(3 * MiB + 17);
    await cos.putObject({ ...t.target, Key: 'copy/big', Body: big });
    await cos.sliceCopyFile({
      ...t.target,
      Key: 'copy/big-copy',
      CopySource: source('copy/big'),
      CopySliceSize: MiB,
    });
    expect((await bytesOf('copy/big-copy')).equals(big)).toBe(true);
  });
});

describe('PUT Object - Copy', () => {
  it('copies metadata by default and replaces it with Replaced (putObjectCopy)', async () => {
    const body = randomBytes(999);
    await cos.putObject({
      ...t.target,
      Key: 'pc/src',
      Body: body,
      ContentType: 'image/png',
      Headers: { 'x-cos-meta-album': '2026' },
    });
    const copied = await cos.putObjectCopy({ ...t.target, Key: 'pc/copy', CopySource: source('pc/src') });
    expect(copied.ETag).toMatch(/^"[0-9a-f]{32}"$/);
    const h1 = (await cos.headObject({ ...t.target, Key: 'pc/copy' })).headers!;
    expect([h1['content-type'], h1['x-cos-meta-album'], h1['x-cos-hash-crc64ecma']]).toEqual([
      'image/png',
      '2026',
      crc64(body).toString(),
    ]);
    await cos.putObjectCopy({
      ...t.target,
      Key: 'pc/replaced',
      CopySource: source('pc/src'),
      MetadataDirective: 'Replaced',
      ContentType: 'text/plain',
    });
    const h2 = (await cos.headObject({ ...t.target, Key: 'pc/replaced' })).headers!;
    expect([h2['content-type'], h2['x-cos-meta-album']]).toEqual(['text/plain', undefined]);
    expect((await bytesOf('pc/replaced')).equals(body)).toBe(true);
    expect(await err(cos.putObjectCopy({ ...t.target, Key: 'pc/none', CopySource: source('pc/missing') }))).toBe(
      '404 NoSuchKey',
    );
  });
});

describe('APPEND Object', () => {
  it('creates at 0, appends at the length, refuses another position (appendObject)', async () => {
    const pieces = [randomBytes(1), randomBytes(70_000), randomBytes(5)];
    let position = 0;
    for (const piece of pieces) {
      const r = await cos.appendObject({ ...t.target, Key: 'ap/log', Position: position, Body: piece });
      position += piece.length;
      expect(r.headers?.['x-cos-next-append-position']).toBe(String(position));
      expect(r.headers?.['x-cos-hash-crc64ecma']).toBe(
        crc64(Buffer.concat(pieces.slice(0, pieces.indexOf(piece) + 1))).toString(),
      );
    }
    expect(await err(cos.appendObject({ ...t.target, Key: 'ap/log', Position: 3, Body: Buffer.from('x') }))).toBe(
      '409 PositionNotEqualToLength',
    );
    expect(await err(cos.appendObject({ ...t.target, Key: 'ap/new', Position: 4, Body: Buffer.from('x') }))).toBe(
      '409 PositionNotEqualToLength',
    );
    expect((await bytesOf('ap/log')).equals(Buffer.concat(pieces))).toBe(true);
    const head = await cos.headObject({ ...t.target, Key: 'ap/log' });
    expect(head.headers?.['x-cos-object-type']).toBe('appendable');
  });

  it('refuses to append to a normal object (409 ObjectNotAppendable) and to copy an appendable one', async () => {
    await cos.putObject({ ...t.target, Key: 'ap/normal', Body: Buffer.from('abc') });
    expect(await err(cos.appendObject({ ...t.target, Key: 'ap/normal', Position: 3, Body: Buffer.from('x') }))).toBe(
      '409 ObjectNotAppendable',
    );
    await cos.appendObject({ ...t.target, Key: 'ap/a', Position: 0, Body: Buffer.from('abc') });
    expect(await err(cos.putObjectCopy({ ...t.target, Key: 'ap/c', CopySource: source('ap/a') }))).toBe(
      '400 InvalidRequest',
    );
    // Any other write makes it a normal object again (436/7741).
    await cos.putObject({ ...t.target, Key: 'ap/a', Body: Buffer.from('abc') });
    expect(await err(cos.appendObject({ ...t.target, Key: 'ap/a', Position: 3, Body: Buffer.from('x') }))).toBe(
      '409 ObjectNotAppendable',
    );
  });

  it('works through a presigned URL that signs append and position', async () => {
    const url = cos.getObjectUrl(
      {
        ...t.target,
        Key: 'ap/presigned',
        Method: 'POST',
        Query: { append: '', position: '0' },
        Sign: true,
      } as never,
      () => undefined,
    ) as unknown as string;
    const ok = await fetch(url, { method: 'POST', body: Buffer.from('hello') });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('x-cos-next-append-position')).toBe('5');
    // The signed position cannot be changed.
    const moved = await fetch(url.replace('position=0', 'position=5'), { method: 'POST', body: Buffer.from('x') });
    expect(moved.status).toBe(403);
    expect((await bytesOf('ap/presigned')).toString()).toBe('hello');
  });
});

describe('temporary keys and copies', () => {
  it('needs read on the copy source as well as the write on the destination', async () => {
    const res = (key: string) => `qcs::cos:${TEST_REGION}:uid/1250000000:${TEST_BUCKET}/${key}`;
    await cos.putObject({ ...t.target, Key: 'sts/src', Body: randomBytes(100) });
    await cos.putObject({ ...t.target, Key: 'sts/other', Body: randomBytes(100) });
    const { UploadId } = await cos.multipartInit({ ...t.target, Key: 'sts/dest' });
    const issued = await t.stsClient().GetFederationToken({
      Name: 'copy-test',
      Policy: encodeURIComponent(
        JSON.stringify({
          version: '2.0',
          statement: [
            { effect: 'allow', action: ['name/cos:UploadPartCopy'], resource: [res('sts/dest')] },
            { effect: 'allow', action: ['name/cos:GetObject'], resource: [res('sts/src')] },
          ],
        }),
      ),
      DurationSeconds: 1800,
    });
    const c = issued.Credentials as { TmpSecretId: string; TmpSecretKey: string; Token: string };
    const temp = new COS({
      Protocol: 'http',
      Domain: `127.0.0.1:${t.emulator.port}`,
      getAuthorization: (_o, cb) =>
        cb({
          TmpSecretId: c.TmpSecretId,
          TmpSecretKey: c.TmpSecretKey,
          SecurityToken: c.Token,
          StartTime: Math.floor(Date.now() / 1000),
          ExpiredTime: issued.ExpiredTime!,
        }),
    });
    const copy = (from: string) =>
      err(temp.uploadPartCopy({ ...t.target, Key: 'sts/dest', UploadId, PartNumber: 1, CopySource: source(from) }));
    expect(await copy('sts/src')).toBe('ok');
    expect(await copy('sts/other')).toBe('403 AccessDenied');
  });
});
