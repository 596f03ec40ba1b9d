import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import type { ReceivedBlob } from './blob-store.ts';
import { CONTENT_MD5 } from '../../shared/core/cos-limits.ts';
import { crc64Header, type EmulatorContext, MAX_OBJECT_BYTES, type RequestInfo, STORAGE_CLASSES } from './context.ts';
import { CosError, invalidArgument, noSuchKey } from './cos-error.ts';
import type { ObjectRow } from './meta-store.ts';
import { checkMetadata } from './metadata.ts';
import { header } from './request.ts';
import { sendEmpty } from './respond.ts';
import { throttle, trafficLimit } from './traffic-limit.ts';

/** PUT / HEAD / GET / DELETE Object. */

/**
 * Request headers COS stores with an object and returns on GET/HEAD (PUT Object 436/7749 and
 * Initiate 436/7746 take them; HEAD 436/7745 and GET 436/7753 answer them). Upload Part takes none
 * of them (436/7750): a part PUT carrying one changes nothing, since only Initiate's are kept.
 */
const STORED = [
  'content-type',
  'cache-control',
  'content-disposition',
  'content-encoding',
  'content-language',
  'expires',
];

/** The headers to store, after the user metadata passed COS's rules (metadata.ts); throws CosError. */
export function storedHeaders(req: IncomingMessage): Record<string, string> {
  checkMetadata(req);
  const out: Record<string, string> = {};
  for (const [name, v] of Object.entries(req.headers)) {
    // The SDK sends some of these empty when unset; COS does not store an empty value.
    if (v === undefined || v === '') continue;
    if (STORED.includes(name) || name.startsWith('x-cos-meta-')) out[name] = Array.isArray(v) ? v.join(', ') : v;
  }
  out['content-type'] ??= 'application/octet-stream';
  return out;
}

/**
 * `x-cos-storage-class` on PUT Object / Initiate (436/7749, 436/7746): one of COS's names
 * (436/33417), else 400 `InvalidStorageClass` (COS error codes, 436/7730). Taken as sent: the
 * docs spell the names in capitals and say nothing of case, so `standard_ia` is refused too.
 */
export function storageClass(req: IncomingMessage): string {
  const sc = header(req, 'x-cos-storage-class') ?? 'STANDARD';
  if (!STORAGE_CLASSES.has(sc))
    throw new CosError(400, 'InvalidStorageClass', `The storage class you specified is not valid: ${sc}.`);
  return sc;
}

/**
 * `x-cos-forbid-overwrite: true` on PUT Object (436/7749) or Complete (436/7742): an object
 * already at the key is not replaced, 409 `FileAlreadyExists`. Any other value means "may overwrite".
 */
export function checkForbidOverwrite(req: IncomingMessage, ctx: EmulatorContext, info: RequestInfo): void {
  if (header(req, 'x-cos-forbid-overwrite')?.toLowerCase() !== 'true') return;
  if (ctx.store.getObject(info.bucket, info.key)) {
    throw new CosError(409, 'FileAlreadyExists', 'The object already exists and x-cos-forbid-overwrite is true.');
  }
}

/** Size cap before reading a byte: a declared length over 5 GiB is refused at once. */
export function checkDeclaredLength(req: IncomingMessage): void {
  const cl = header(req, 'content-length');
  if (cl !== undefined && !/^\d+$/.test(cl)) throw invalidArgument('Content-Length is not a number.');
  if (cl !== undefined && Number(cl) > MAX_OBJECT_BYTES) {
    throw new CosError(400, 'EntityTooLarge', 'Your proposed upload exceeds the maximum allowed object size.');
  }
}

/**
 * Streams a PUT body (object or part) to disk — callers run checkDeclaredLength first — at most
 * as fast as its `x-cos-traffic-limit`, verifies Content-MD5 and answers its ETag; a body that
 * fails the check is removed before the error goes out.
 */
export async function receiveBody(
  req: IncomingMessage,
  ctx: EmulatorContext,
  info: RequestInfo,
): Promise<{ blob: ReceivedBlob; etag: string }> {
  checkContentMd5Form(req);
  const limit = trafficLimit(req, info);
  const blob = await ctx.blobs.receive(req, MAX_OBJECT_BYTES, limit === null ? undefined : throttle(limit));
  try {
    checkContentMd5(req, blob);
  } catch (e) {
    await ctx.blobs.remove([blob.id]);
    throw e;
  }
  return { blob, etag: `"${blob.md5.toString('hex')}"` };
}

/**
 * Content-MD5 (RFC 1864) on PUT Object and Upload Part (436/7749, 436/7750): not the canonical
 * base64 of 16 bytes → 400 `InvalidDigest`, before a byte is read (COS error codes 436/7730;
 * how strictly COS parses the base64 is undocumented: the emulator refuses any other spelling).
 */
function checkContentMd5Form(req: IncomingMessage): void {
  const sent = header(req, 'content-md5');
  if (sent !== undefined && !CONTENT_MD5.test(sent))
    throw new CosError(400, 'InvalidDigest', 'The Content-MD5 you specified is not valid.');
}

/** Checks Content-MD5 (when sent) against what arrived; COS answers 400 BadDigest on a mismatch (436/7730). */
function checkContentMd5(req: IncomingMessage, blob: ReceivedBlob): void {
  const sent = header(req, 'content-md5');
  if (sent === undefined) return;
  if (!Buffer.from(sent, 'base64').equals(blob.md5))
    throw new CosError(400, 'BadDigest', 'The Content-MD5 you specified did not match what we received.');
}

export async function putObject(
  req: IncomingMessage,
  res: ServerResponse,
  ctx: EmulatorContext,
  info: RequestInfo,
): Promise<void> {
  checkDeclaredLength(req);
  const headers = storedHeaders(req);
  const sc = storageClass(req);
  checkForbidOverwrite(req, ctx, info);
  const { blob, etag } = await receiveBody(req, ctx, info);
  try {
    // Again: another PUT may have created the object while this body streamed in.
    checkForbidOverwrite(req, ctx, info);
  } catch (e) {
    await ctx.blobs.remove([blob.id]);
    throw e;
  }
  const row: ObjectRow = {
    bucket: info.bucket,
    key: info.key,
    blob: blob.id,
    parts: 0,
    size: blob.size,
    etag,
    crc64: blob.crc64,
    headers,
    storageClass: sc,
    lastModified: ctx.now(),
  };
  await ctx.blobs.remove(ctx.store.putObject(row));
  sendEmpty(res, 200, { ETag: etag, ...crc64Header(info, blob.crc64) });
}

/** `bytes=a-b`, `bytes=a-`, `bytes=-n` (one range); null = whole object; throws 416 if unsatisfiable. */
export function parseRange(value: string | undefined, size: number): { start: number; end: number } | null {
  if (!value) return null;
  const m = /^bytes=(\d*)-(\d*)$/.exec(value.trim());
  if (!m || (m[1] === '' && m[2] === '')) return null; // COS ignores a malformed Range
  let start: number;
  let end: number;
  if (m[1] === '') {
    const n = Number(m[2]);
    if (n === 0) throw rangeError();
    start = Math.max(0, size - n);
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
    if (m[2] !== '' && Number(m[2]) < start) return null;
  }
  if (start >= size) throw rangeError();
  return { start, end };
}

const rangeError = () => new CosError(416, 'InvalidRange', 'The requested range is not satisfiable.');

function objectHeaders(o: ObjectRow, info: RequestInfo): Record<string, string> {
  const h: Record<string, string> = {
    ETag: o.etag,
    'Last-Modified': new Date(o.lastModified).toUTCString(),
    'Accept-Ranges': 'bytes',
    ...crc64Header(info, o.crc64),
    ...o.headers,
  };
  if (o.storageClass !== 'STANDARD') h['x-cos-storage-class'] = o.storageClass;
  // 436/7741: HEAD and GET tell an appendable object by x-cos-object-type.
  if (o.appendable) h['x-cos-object-type'] = 'appendable';
  return h;
}

/** If-Match / If-None-Match, the preconditions the SDK exposes. */
function checkPreconditions(req: IncomingMessage, o: ObjectRow): number | null {
  const ifMatch = header(req, 'if-match');
  if (ifMatch !== undefined && !ifMatch.split(',').some((t) => t.trim() === o.etag || t.trim() === '*')) return 412;
  const ifNone = header(req, 'if-none-match');
  if (ifNone?.split(',').some((t) => t.trim() === o.etag || t.trim() === '*')) return 304;
  return null;
}

export async function getObject(
  req: IncomingMessage,
  res: ServerResponse,
  ctx: EmulatorContext,
  info: RequestInfo,
  head: boolean,
): Promise<void> {
  // A key a merge is still writing does not exist yet (see merges.ts), whatever was there before.
  const o = ctx.merges.hidesKey(info.bucket, info.key) ? null : ctx.store.getObject(info.bucket, info.key);
  if (!o) throw noSuchKey();
  // GET takes a traffic limit too (436/40140): its range is checked; the download is not throttled.
  if (!head) trafficLimit(req, info);
  const pre = checkPreconditions(req, o);
  if (pre === 412)
    throw new CosError(412, 'PreconditionFailed', 'At least one of the preconditions you specified did not hold.');
  const headers = objectHeaders(o, info);
  if (pre === 304) return sendEmpty(res, 304, { ETag: o.etag, 'Last-Modified': headers['Last-Modified']! });
  // response-* query parameters override the stored headers, as on COS.
  for (const [q, h] of [
    ['response-content-type', 'content-type'],
    ['response-content-disposition', 'content-disposition'],
    ['response-cache-control', 'cache-control'],
    ['response-content-encoding', 'content-encoding'],
    ['response-content-language', 'content-language'],
    ['response-expires', 'expires'],
  ] as const) {
    const v = info.query.get(q);
    if (v !== undefined) headers[h] = v;
  }
  const range = head ? null : parseRange(header(req, 'range'), o.size);
  if (range) {
    headers['Content-Range'] = `bytes ${range.start}-${range.end}/${o.size}`;
    headers['Content-Length'] = String(range.end - range.start + 1);
  } else {
    headers['Content-Length'] = String(o.size);
  }
  res.writeHead(range ? 206 : 200, headers);
  if (head || o.size === 0) return void res.end();
  const { start, end } = range ?? { start: 0, end: o.size - 1 };
  // Still in the tick of getObject above (no await since): the blobs are pinned before any
  // delete or overwrite can run.
  const body = ctx.blobs.read(ctx.store.segments(o, start, end), start, end);
  // The client may hang up mid-download; that is its business, not an emulator error.
  await pipeline(body, res).catch(() => {});
}

export async function deleteObject(res: ServerResponse, ctx: EmulatorContext, info: RequestInfo): Promise<void> {
  await ctx.blobs.remove(ctx.store.deleteObject(info.bucket, info.key));
  sendEmpty(res, 204);
}
