import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { cosEncode } from '../../shared/cos/signer.ts';
import {
  crc64Header,
  DEFAULT_PAGE,
  type EmulatorContext,
  MAX_PART_NUMBER,
  ownerXml,
  type RequestInfo,
} from './context.ts';
import { invalidArgument, noSuchUpload } from './cos-error.ts';
import type { ReceivedBlob } from './blob-store.ts';
import type { UploadRow } from './meta-store.ts';
import { checkDeclaredLength, receiveBody, storageClass, storedHeaders } from './objects.ts';
import { sendEmpty, sendXml } from './respond.ts';
import { el, wrap, XML_DECLARATION } from './xml.ts';

/** Initiate, Upload Part, List Parts, Abort and List Multipart Uploads. */

const iso = (ms: number): string => new Date(ms).toISOString();

/**
 * The upload named by ?uploadId, which must belong to this key (COS: NoSuchUpload otherwise) and
 * must not be merging: an upload whose Complete is under way reads as gone (see merges.ts).
 */
export function uploadFor(ctx: EmulatorContext, info: RequestInfo): UploadRow {
  const u = ctx.store.getUpload(info.query.get('uploadId') ?? '');
  if (!u || u.bucket !== info.bucket || u.key !== info.key || ctx.merges.has(u.uploadId)) throw noSuchUpload();
  return u;
}

/** Non-negative integer query parameter (absent → fallback), else 400 InvalidArgument. */
function intParam(info: RequestInfo, name: string, fallback: number, min: number): number {
  const v = info.query.get(name);
  if (v === undefined || v === '') return fallback;
  if (!/^\d+$/.test(v) || Number(v) < min) throw invalidArgument(`${name} must be an integer >= ${min}.`);
  return Number(v);
}

const encodeKey = (info: RequestInfo, key: string): string =>
  info.query.get('encoding-type') === 'url' ? cosEncode(key).replace(/%2F/g, '/') : key;

const owner = (bucket: string, tag: string): string => {
  const o = ownerXml(bucket);
  return wrap(tag, el('ID', o.id), el('DisplayName', o.name));
};

export function initiate(req: IncomingMessage, res: ServerResponse, ctx: EmulatorContext, info: RequestInfo): void {
  const now = ctx.now();
  // Upload ids start with the time so that, sorted as strings, they sort by initiation.
  const uploadId = `${Math.floor(now / 1000)}${randomBytes(32).toString('hex')}`;
  ctx.store.createUpload({
    uploadId,
    bucket: info.bucket,
    key: info.key,
    headers: storedHeaders(req),
    storageClass: storageClass(req),
    initiated: now,
  });
  sendXml(
    res,
    200,
    XML_DECLARATION +
      wrap('InitiateMultipartUploadResult', el('Bucket', info.bucket), el('Key', info.key), el('UploadId', uploadId)),
  );
}

/** `partNumber` of an Upload Part (or Upload Part - Copy): 1..10000, else InvalidArgument (436/7750). */
export function partNumberOf(info: RequestInfo): number {
  const pn = info.query.get('partNumber') ?? '';
  if (!/^\d+$/.test(pn) || Number(pn) < 1 || Number(pn) > MAX_PART_NUMBER) {
    throw invalidArgument(`Part number must be an integer between 1 and ${MAX_PART_NUMBER}, inclusive.`);
  }
  return Number(pn);
}

/**
 * Records a received part's bytes, replacing an earlier part of that number. A merge that began
 * while the bytes arrived owns the upload now, and an aborted or completed upload takes nothing:
 * the bytes go and the answer is NoSuchUpload.
 */
export async function storePart(
  ctx: EmulatorContext,
  uploadId: string,
  partNumber: number,
  blob: ReceivedBlob,
  etag: string,
  lastModified: number,
): Promise<void> {
  const replaced = ctx.merges.has(uploadId)
    ? undefined
    : ctx.store.putPart({
        uploadId,
        partNumber,
        blob: blob.id,
        size: blob.size,
        etag,
        crc64: blob.crc64,
        lastModified,
      });
  if (replaced === undefined) {
    await ctx.blobs.remove([blob.id]);
    throw noSuchUpload();
  }
  await ctx.blobs.remove([replaced]);
}

export async function uploadPart(
  req: IncomingMessage,
  res: ServerResponse,
  ctx: EmulatorContext,
  info: RequestInfo,
): Promise<void> {
  const partNumber = partNumberOf(info);
  checkDeclaredLength(req);
  const upload = uploadFor(ctx, info);
  const { blob, etag } = await receiveBody(req, ctx, info);
  await storePart(ctx, upload.uploadId, partNumber, blob, etag, ctx.now());
  sendEmpty(res, 200, { ETag: etag, ...crc64Header(info, blob.crc64) });
}

export function listParts(res: ServerResponse, ctx: EmulatorContext, info: RequestInfo): void {
  const upload = uploadFor(ctx, info);
  const max = Math.min(intParam(info, 'max-parts', DEFAULT_PAGE, 1), DEFAULT_PAGE);
  const marker = intParam(info, 'part-number-marker', 0, 0);
  const rows = ctx.store.listParts(upload.uploadId, marker, max);
  const page = rows.slice(0, max);
  const truncated = rows.length > max;
  const parts = page.map((p) =>
    wrap(
      'Part',
      el('PartNumber', p.partNumber),
      el('LastModified', iso(p.lastModified)),
      el('ETag', p.etag),
      el('Size', p.size),
    ),
  );
  const enc = info.query.get('encoding-type');
  sendXml(
    res,
    200,
    XML_DECLARATION +
      wrap(
        'ListPartsResult',
        el('Bucket', info.bucket),
        enc ? el('EncodingType', enc) : '',
        el('Key', encodeKey(info, upload.key)),
        el('UploadId', upload.uploadId),
        owner(info.bucket, 'Initiator'),
        owner(info.bucket, 'Owner'),
        el('StorageClass', upload.storageClass),
        el('PartNumberMarker', marker),
        el('NextPartNumberMarker', page.length ? page[page.length - 1]!.partNumber : marker),
        el('MaxParts', max),
        el('IsTruncated', truncated),
        ...parts,
      ),
  );
}

export async function abort(res: ServerResponse, ctx: EmulatorContext, info: RequestInfo): Promise<void> {
  const upload = uploadFor(ctx, info);
  const blobs = ctx.store.deleteUpload(upload.uploadId);
  if (blobs === null) throw noSuchUpload();
  await ctx.blobs.remove(blobs);
  sendEmpty(res, 204);
}

/** GET /?uploads with prefix, delimiter, key-marker, upload-id-marker, max-uploads. */
export function listUploads(res: ServerResponse, ctx: EmulatorContext, info: RequestInfo): void {
  const q = info.query;
  const prefix = q.get('prefix') ?? '';
  const delimiter = q.get('delimiter') ?? '';
  const keyMarker = q.get('key-marker') ?? '';
  // 436/7736: without upload-id-marker, only keys after key-marker are listed (strictly greater);
  // with it, also that key's uploads after the id. upload-id-marker alone is ignored (as on S3).
  const idMarker = q.get('upload-id-marker');
  const uploadIdMarker = keyMarker && idMarker ? idMarker : null;
  const max = Math.min(intParam(info, 'max-uploads', DEFAULT_PAGE, 1), DEFAULT_PAGE);
  const uploads: UploadRow[] = [];
  const prefixes: string[] = [];
  let truncated = false;
  let nextKey = '';
  let nextId = '';
  for (const u of ctx.store.iterateUploads(info.bucket, prefix, keyMarker, uploadIdMarker)) {
    let common: string | null = null;
    if (delimiter) {
      const i = u.key.indexOf(delimiter, prefix.length);
      if (i >= 0) common = u.key.slice(0, i + delimiter.length);
    }
    // A common prefix already returned (or used as the marker) is not repeated.
    if (common !== null && (prefixes.includes(common) || keyMarker.startsWith(common))) continue;
    if (uploads.length + prefixes.length === max) {
      truncated = true;
      break;
    }
    if (common !== null) {
      prefixes.push(common);
      nextKey = common;
      nextId = '';
    } else {
      uploads.push(u);
      nextKey = u.key;
      nextId = u.uploadId;
    }
  }
  const enc = q.get('encoding-type');
  sendXml(
    res,
    200,
    XML_DECLARATION +
      wrap(
        'ListMultipartUploadsResult',
        el('Bucket', info.bucket),
        enc ? el('EncodingType', enc) : '',
        el('KeyMarker', encodeKey(info, keyMarker)),
        el('UploadIdMarker', uploadIdMarker ?? ''),
        truncated ? el('NextKeyMarker', encodeKey(info, nextKey)) : '',
        truncated ? el('NextUploadIdMarker', nextId) : '',
        el('MaxUploads', max),
        el('IsTruncated', truncated),
        el('Prefix', encodeKey(info, prefix)),
        delimiter ? el('Delimiter', delimiter) : '',
        ...uploads.map((u) =>
          wrap(
            'Upload',
            el('Key', encodeKey(info, u.key)),
            el('UploadId', u.uploadId),
            el('StorageClass', u.storageClass),
            owner(info.bucket, 'Initiator'),
            owner(info.bucket, 'Owner'),
            el('Initiated', iso(u.initiated)),
          ),
        ),
        ...prefixes.map((p) => wrap('CommonPrefixes', el('Prefix', encodeKey(info, p)))),
      ),
  );
}
