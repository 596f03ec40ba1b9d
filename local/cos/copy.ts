import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import type { ReceivedBlob } from './blob-store.ts';
import { crc64Header, type EmulatorContext, MAX_OBJECT_BYTES, type RequestInfo } from './context.ts';
import { CosError, invalidArgument, noSuchKey } from './cos-error.ts';
import type { ObjectRow } from './meta-store.ts';
import { partNumberOf, storePart, uploadFor } from './multipart.ts';
import { storageClass, storedHeaders } from './objects.ts';
import { header } from './request.ts';
import { sendXml } from './respond.ts';
import { el, wrap, XML_DECLARATION } from './xml.ts';

/**
 * Upload Part - Copy (436/8287) and PUT Object - Copy (436/10881): the bytes come from an object
 * already in the bucket, named by `x-cos-copy-source: <bucket>.cos.<region>.myqcloud.com/<key>`
 * (the key URL-encoded). The copy is a real byte copy into a new blob file: every blob belongs to
 * exactly one row (blob-store.ts), and copies are rare next to uploads.
 */

export interface CopySource {
  bucket: string;
  key: string;
}

/**
 * The parsed `x-cos-copy-source`, the same form the official SDK checks (cos-nodejs-sdk-v5
 * sdk/util.js getSourceParams). A bucket this emulator does not serve, or another region, is a
 * source that does not exist here (404 NoSuchBucket is what COS would answer for an unknown bucket).
 */
export function copySourceOf(req: IncomingMessage, ctx: EmulatorContext): CopySource {
  const raw = (header(req, 'x-cos-copy-source') ?? '').replace(/^https?:\/\//, '');
  const m = /^([^./]+)\.cos\.([^.]+)\.myqcloud\.com\/(.+)$/.exec(raw);
  if (!m) throw invalidArgument('x-cos-copy-source must be <bucket>.cos.<region>.myqcloud.com/<key>.');
  let key: string;
  try {
    key = decodeURIComponent(m[3]!.split('?')[0]!);
  } catch {
    throw invalidArgument('x-cos-copy-source carries a malformed key.');
  }
  if (!ctx.buckets.has(m[1]!) || m[2] !== ctx.region)
    throw new CosError(404, 'NoSuchBucket', 'The specified bucket does not exist.');
  return { bucket: m[1]!, key };
}

/** The source object, or 404 NoSuchKey. An appendable object cannot be copied (436/7741). */
function sourceObject(ctx: EmulatorContext, src: CopySource): ObjectRow {
  const o = ctx.merges.hidesKey(src.bucket, src.key) ? null : ctx.store.getObject(src.bucket, src.key);
  if (!o) throw noSuchKey();
  // 436/7741: "Appendable 的对象不可以被复制". The error COS sends is not documented; assumed 400 InvalidRequest.
  if (o.appendable) throw new CosError(400, 'InvalidRequest', 'An appendable object cannot be copied.');
  return o;
}

/**
 * `x-cos-copy-source-range: bytes=first-last` (436/8287), inclusive. Absent: the whole object.
 * Not that form → 400 InvalidArgument; outside the object → 416 InvalidRange. COS does not say
 * whether it clamps an end past the object; the emulator refuses it (the least convenient reading).
 */
function copyRange(req: IncomingMessage, size: number): { start: number; end: number } {
  const v = header(req, 'x-cos-copy-source-range');
  if (v === undefined) return { start: 0, end: size - 1 };
  const m = /^bytes=(\d+)-(\d+)$/.exec(v.trim());
  if (!m || Number(m[2]) < Number(m[1])) throw invalidArgument('x-cos-copy-source-range must be bytes=first-last.');
  const start = Number(m[1]);
  const end = Number(m[2]);
  if (end >= size) throw new CosError(416, 'InvalidRange', 'The requested range is not satisfiable.');
  return { start, end };
}

/** Bytes [start, end] of the object into a new blob (read pinned synchronously, as GET does). */
function copyBytes(ctx: EmulatorContext, o: ObjectRow, start: number, end: number): Promise<ReceivedBlob> {
  const body = end < start ? Readable.from([]) : ctx.blobs.read(ctx.store.segments(o, start, end), start, end);
  return ctx.blobs.receive(body, MAX_OBJECT_BYTES);
}

const iso = (ms: number): string => new Date(ms).toISOString();

export async function uploadPartCopy(
  req: IncomingMessage,
  res: ServerResponse,
  ctx: EmulatorContext,
  info: RequestInfo,
  src: CopySource,
): Promise<void> {
  const partNumber = partNumberOf(info);
  const upload = uploadFor(ctx, info);
  const o = sourceObject(ctx, src);
  const { start, end } = copyRange(req, o.size);
  // 436/8287: each copied part is at most 5 GB.
  if (end - start + 1 > MAX_OBJECT_BYTES)
    throw new CosError(400, 'EntityTooLarge', 'A copied part may be at most 5 GB.');
  const blob = await copyBytes(ctx, o, start, end);
  const etag = `"${blob.md5.toString('hex')}"`;
  const now = ctx.now();
  await storePart(ctx, upload.uploadId, partNumber, blob, etag, now);
  sendXml(
    res,
    200,
    XML_DECLARATION + wrap('CopyPartResult', el('ETag', etag), el('LastModified', iso(now))),
    crc64Header(info, blob.crc64),
  );
}

export async function putObjectCopy(
  req: IncomingMessage,
  res: ServerResponse,
  ctx: EmulatorContext,
  info: RequestInfo,
  src: CopySource,
): Promise<void> {
  // 436/10881: Copy (default) keeps the source's metadata and ignores the request's; Replaced
  // takes the request's; anything else is InvalidArgument.
  const directive = header(req, 'x-cos-metadata-directive') ?? 'Copy';
  if (directive !== 'Copy' && directive !== 'Replaced')
    throw invalidArgument('x-cos-metadata-directive must be Copy or Replaced.');
  const requested = directive === 'Replaced' ? storedHeaders(req) : null;
  // 436/10881: unless the request names one, the copy is STANDARD whatever the source's class.
  const sc = storageClass(req);
  const o = sourceObject(ctx, src);
  // 436/10881: PUT Object - Copy copies at most 5 GB; bigger objects need Upload Part - Copy.
  if (o.size > MAX_OBJECT_BYTES)
    throw new CosError(400, 'EntityTooLarge', 'Objects over 5 GB need Upload Part - Copy.');
  const blob = await copyBytes(ctx, o, 0, o.size - 1);
  const etag = `"${blob.md5.toString('hex')}"`;
  const row: ObjectRow = {
    bucket: info.bucket,
    key: info.key,
    blob: blob.id,
    parts: 0,
    size: blob.size,
    etag,
    crc64: blob.crc64,
    headers: requested ?? o.headers,
    storageClass: sc,
    lastModified: ctx.now(),
  };
  await ctx.blobs.remove(ctx.store.putObject(row));
  sendXml(
    res,
    200,
    XML_DECLARATION +
      wrap('CopyObjectResult', el('ETag', etag), el('CRC64', blob.crc64), el('LastModified', iso(row.lastModified))),
    crc64Header(info, blob.crc64),
  );
}
