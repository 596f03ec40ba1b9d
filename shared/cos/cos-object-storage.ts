import { createHash } from 'node:crypto';
import type {
  CompletedObject,
  MultipartUploadListing,
  ObjectHead,
  ObjectHeaders,
  ObjectStorage,
  PartUrlRequest,
  PresignedRequest,
  StoredPart,
} from '../ports.ts';
import { CosError, isNoSuchUpload, toUploadError } from './cos-error.ts';
import {
  checkHeaderValue,
  checkKey,
  checkMaxUploads,
  checkContentMd5,
  checkPartNumber,
  checkPresign,
  checkTrafficLimit,
  checkUploadId,
  metadataHeaders,
  objectHeaderFields,
} from './input-checks.ts';
import { Presigner } from './presign.ts';
import { getObjectRange, uploadPart, uploadPartCopy } from './server-copies.ts';
import { type CosClientContext, completeTimeouts, type RetryOptions, retryOptions, sendCos } from './request.ts';
import {
  completeAnswerSchema,
  initiateMultipartUploadResultSchema,
  listMultipartUploadsResultSchema,
  listPartsResultSchema,
} from './schemas.ts';
import { parseEndpoint, requestUrl } from './url.ts';
import { buildCompleteXml, CosXmlError, parseXml } from './xml.ts';

export interface CosObjectStorageOptions {
  /** Bucket base URL: `https://<bucket>.cos.<region>.myqcloud.com` or `http://127.0.0.1:<port>/<bucket>`. */
  endpoint: string;
  bucket: string;
  region: string;
  secretId: string;
  secretKey: string;
  sessionToken?: string;
  fetch?: typeof fetch;
  retry?: Partial<RetryOptions>;
  now?: () => Date;
  /** Retry notices (op, attempt, status, code, request id, delay); never credentials or URLs. */
  log?: (line: Record<string, unknown>) => void;
}

/** Guards against a COS answer whose marker never advances. */
const MAX_LIST_PAGES = 100;
const DECIMAL = /^\d+$/;

/**
 * ObjectStorage over COS's XML API with fetch. Every server-side call is signed per attempt and
 * retried on transient failures (see request.ts); failures leave as UploadErrors (cos-error.ts
 * toUploadError): refusals the core branches on carry `details.reason` (isStorageRejection),
 * and `cause` is the CosError for logs.
 */
export class CosObjectStorage implements ObjectStorage {
  readonly bucket: string;
  readonly region: string;
  readonly #ctx: CosClientContext;
  readonly #presigner: Presigner;

  constructor(opts: CosObjectStorageOptions) {
    if (!opts.secretId || !opts.secretKey) throw new TypeError('CosObjectStorage needs secretId and secretKey');
    const endpoint = parseEndpoint(opts.endpoint);
    this.bucket = opts.bucket;
    this.region = opts.region;
    this.#ctx = {
      endpoint,
      secretId: opts.secretId,
      secretKey: opts.secretKey,
      sessionToken: opts.sessionToken,
      fetch: opts.fetch ?? globalThis.fetch,
      now: opts.now ?? (() => new Date()),
      retry: retryOptions(opts.retry),
      random: Math.random,
      log: opts.log,
      skew: { offsetMs: 0 },
    };
    this.#presigner = new Presigner(endpoint, opts.secretId, opts.secretKey, opts.sessionToken);
  }

  /** Every object header is set here, by the server: an Upload Part request cannot carry any. */
  async initiateMultipart(key: string, opts: ObjectHeaders): Promise<string> {
    checkKey(key);
    const headers = objectHeaders(opts);
    const req = { op: 'InitiateMultipartUpload', method: 'POST', key, query: { uploads: '' }, headers } as const;
    return sendCos(this.#ctx, req, (a) => parseXml(a.body, initiateMultipartUploadResultSchema).uploadId);
  }

  async putObject(key: string, body: Uint8Array, opts: ObjectHeaders): Promise<{ etag: string; crc64: string | null }> {
    checkKey(key);
    const headers = { ...objectHeaders(opts), 'content-md5': md5Base64(body) };
    const req = { op: 'PutObject', method: 'PUT', key, headers, body: new Uint8Array(body) } as const;
    return sendCos(this.#ctx, req, (a) => {
      const etag = a.headers.get('etag');
      if (!etag) throw garbage('COS PUT Object answer lacks an ETag');
      return { etag, crc64: decimalHeader(a.headers, 'x-cos-hash-crc64ecma') };
    });
  }

  objectUrl(key: string): string {
    checkKey(key);
    return requestUrl(this.#ctx.endpoint, key);
  }

  async listParts(key: string, uploadId: string): Promise<StoredPart[]> {
    checkKey(key);
    checkUploadId(uploadId);
    const parts: StoredPart[] = [];
    let marker: string | null = null;
    for (let page = 0; page < MAX_LIST_PAGES; page++) {
      const query: Record<string, string> = marker ? { uploadId, 'part-number-marker': marker } : { uploadId };
      const req = { op: 'ListParts', method: 'GET', key, query } as const;
      const res = await sendCos(this.#ctx, req, (a) => parseXml(a.body, listPartsResultSchema));
      parts.push(...res.parts);
      if (!res.isTruncated) return parts.sort((a, b) => a.partNumber - b.partNumber);
      if (!res.nextPartNumberMarker || res.nextPartNumberMarker === marker) break;
      marker = res.nextPartNumberMarker;
    }
    throw toUploadError(garbage('COS List Parts paging does not advance'));
  }

  /**
   * Completes the upload. Retries are safe for the parts but not always for the answer: if an
   * attempt reached COS and only its answer was lost, the next one sees NoSuchUpload (a
   * `storageRejected('NoSuchUpload')`) although the object exists — the core then HEADs the key.
   */
  async completeMultipart(
    key: string,
    uploadId: string,
    parts: readonly { partNumber: number; etag: string }[],
    opts: { timeoutMs?: number } = {},
  ): Promise<CompletedObject> {
    checkKey(key);
    checkUploadId(uploadId);
    const body = buildCompleteXml(parts);
    const req = {
      op: 'CompleteMultipartUpload',
      method: 'POST',
      key,
      query: { uploadId },
      // Content-MD5 lets COS refuse a part list damaged on the way (BadDigest) instead of merging it.
      headers: { 'content-type': 'application/xml', 'content-md5': md5Base64(Buffer.from(body, 'utf8')) },
      body,
      timeouts: completeTimeouts(this.#ctx.retry, opts.timeoutMs),
    } as const;
    return sendCos(this.#ctx, req, (a) => {
      const answer = parseXml(a.body, completeAnswerSchema);
      if (!answer.ok) {
        // COS already said 200 when assembly failed late; the status is all we have.
        const { code, message, requestId } = answer.error;
        throw new CosError({
          status: a.status,
          code,
          requestId: a.headers.get('x-cos-request-id') ?? requestId,
          cosMessage: message,
          serverDate: a.headers.get('date'),
        });
      }
      return { etag: answer.etag, location: answer.location, crc64: decimalHeader(a.headers, 'x-cos-hash-crc64ecma') };
    });
  }

  async abortMultipart(key: string, uploadId: string): Promise<void> {
    checkKey(key);
    checkUploadId(uploadId);
    try {
      await sendCos(
        this.#ctx,
        { op: 'AbortMultipartUpload', method: 'DELETE', key, query: { uploadId } },
        () => undefined,
      );
    } catch (e) {
      // Already aborted, completed, or never there: the caller's goal holds either way.
      if (!isNoSuchUpload(e)) throw e;
    }
  }

  async headObject(key: string): Promise<ObjectHead | null> {
    checkKey(key);
    const req = { op: 'HeadObject', method: 'HEAD', key, passStatuses: [404] } as const;
    return sendCos(this.#ctx, req, (a) => {
      if (a.status === 404) return null;
      const size = decimalHeader(a.headers, 'content-length');
      const etag = a.headers.get('etag');
      if (size === null || !etag) throw garbage('COS HEAD answer lacks Content-Length or ETag');
      return {
        size: Number(size),
        etag,
        crc64: decimalHeader(a.headers, 'x-cos-hash-crc64ecma'),
        contentType: a.headers.get('content-type'),
      };
    });
  }

  /**
   * GET Object with `Range: bytes=start-end` (436/7753: COS answers 206 with that slice). null when
   * there is no object; an empty object (any range is unsatisfiable, 416 InvalidRange) gives no bytes.
   */
  async readRange(key: string, start: number, end: number): Promise<Uint8Array | null> {
    checkKey(key);
    if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || end < start) {
      throw new TypeError(`readRange needs 0 <= start <= end, got ${start}-${end}`);
    }
    const req = {
      op: 'GetObject',
      method: 'GET',
      key,
      headers: { range: `bytes=${start}-${end}` },
      passStatuses: [404, 416],
      maxBodyBytes: end - start + 1,
    } as const;
    return sendCos(this.#ctx, req, (a) => {
      if (a.status === 404) return null;
      if (a.status === 416) return new Uint8Array(0);
      // A 200 is the whole object from byte 0 (a COS that ignored the Range): its first bytes still are the slice.
      if (a.status === 200 && start > 0) throw garbage('COS answered a ranged GET with the whole object');
      return a.bytes ?? new Uint8Array(0);
    });
  }

  async deleteObject(key: string): Promise<void> {
    checkKey(key);
    await sendCos(this.#ctx, { op: 'DeleteObject', method: 'DELETE', key, passStatuses: [404] }, () => undefined);
  }

  async listMultipartUploads(
    prefix: string,
    opts: { keyMarker?: string; uploadIdMarker?: string; maxUploads?: number } = {},
  ): Promise<MultipartUploadListing> {
    const query: Record<string, string | number> = { uploads: '' };
    if (prefix) query.prefix = prefix;
    if (opts.keyMarker) query['key-marker'] = opts.keyMarker;
    if (opts.uploadIdMarker) query['upload-id-marker'] = opts.uploadIdMarker;
    if (opts.maxUploads !== undefined) query['max-uploads'] = checkMaxUploads(opts.maxUploads);
    const req = { op: 'ListMultipartUploads', method: 'GET', key: '', query } as const;
    return sendCos(this.#ctx, req, (a) => parseXml(a.body, listMultipartUploadsResultSchema));
  }

  presignUploadParts(
    key: string,
    uploadId: string,
    parts: readonly PartUrlRequest[],
    now: Date,
    expiresSeconds: number,
  ): PresignedRequest[] {
    checkKey(key);
    checkUploadId(uploadId);
    return parts.map(({ partNumber, contentLength, md5, trafficLimit }) => {
      checkPartNumber(partNumber);
      checkPresign(contentLength, expiresSeconds);
      // Headers the client must send besides Content-Length: Content-MD5 makes COS refuse other
      // bytes of the same length (BadDigest, Upload Part 436/7750), x-cos-traffic-limit throttles
      // the PUT (436/40140). Both are signed (the SDK signs content-md5 and every x-cos-* header).
      const sent: Record<string, string> = {};
      if (md5 !== undefined) sent['Content-MD5'] = checkContentMd5(md5);
      if (trafficLimit !== undefined) sent['x-cos-traffic-limit'] = String(checkTrafficLimit(trafficLimit));
      const signed = this.#presigner.presignPut({
        key,
        query: { partNumber, uploadId },
        headers: { 'Content-Length': String(contentLength), ...sent },
        now: this.#skewed(now),
        expiresSeconds,
      });
      // Content-Length is still bound by the signature, but not listed: browsers set it from the
      // body and refuse a script that tries, so a client sending "exactly these headers" must not see it.
      return { ...signed, headers: sent };
    });
  }

  uploadPartCopy(
    key: string,
    uploadId: string,
    partNumber: number,
    source: { key: string; start: number; end: number },
  ): Promise<{ etag: string; crc64: string | null }> {
    return uploadPartCopy(this.#ctx, this, key, uploadId, partNumber, source);
  }

  uploadPart(
    key: string,
    uploadId: string,
    partNumber: number,
    body: Uint8Array,
  ): Promise<{ etag: string; crc64: string | null }> {
    return uploadPart(this.#ctx, key, uploadId, partNumber, body);
  }

  getObjectRange(key: string, start: number, end: number): Promise<Uint8Array> {
    return getObjectRange(this.#ctx, key, start, end);
  }

  /** `?append&position=N` (436/7741), both signed, and the exact Content-Length bound (not listed, as for parts). */
  presignAppendObject(
    key: string,
    opts: { position: number; contentLength: number; now: Date; expiresSeconds: number },
  ): PresignedRequest {
    checkKey(key);
    checkPresign(opts.contentLength, opts.expiresSeconds);
    checkPresign(opts.position, opts.expiresSeconds);
    const signed = this.#presigner.presignPost({
      key,
      query: { append: '', position: opts.position },
      headers: { 'Content-Length': String(opts.contentLength) },
      now: this.#skewed(opts.now),
      expiresSeconds: opts.expiresSeconds,
    });
    return { ...signed, headers: {} };
  }

  presignGetObject(key: string, opts: { now: Date; expiresSeconds: number; disposition?: string }): PresignedRequest {
    checkKey(key);
    checkPresign(0, opts.expiresSeconds);
    const query: Record<string, string> = {};
    if (opts.disposition) query['response-content-disposition'] = checkHeaderValue('disposition', opts.disposition);
    return this.#presigner.presignGet({
      key,
      query,
      headers: {},
      now: this.#skewed(opts.now),
      expiresSeconds: opts.expiresSeconds,
    });
  }

  /** A URL signed with our clock would be refused by COS if ours is off: sign with COS's time. */
  #skewed(now: Date): Date {
    return new Date(now.getTime() + this.#ctx.skew.offsetMs);
  }
}

/** Every header the server sets on an object, at Initiate or PUT Object (436/7746, 436/7749). */
function objectHeaders(opts: ObjectHeaders): Record<string, string> {
  return {
    'content-type': checkHeaderValue('contentType', opts.contentType),
    ...metadataHeaders(opts.metadata),
    ...objectHeaderFields(opts),
  };
}

const md5Base64 = (body: Uint8Array): string => createHash('md5').update(body).digest('base64');

function decimalHeader(headers: Headers, name: string): string | null {
  const v = headers.get(name);
  return v !== null && DECIMAL.test(v) ? v : null;
}

/** An answer COS would never give; mapped to 502 like unparseable XML. */
const garbage = (message: string) => new CosXmlError(message, '');
