import { validationFailed } from '../errors.ts';
import { CosError } from './cos-error.ts';
import { checkKey, checkPartNumber, checkUploadId } from './input-checks.ts';
import { type CosClientContext, sendCos } from './request.ts';
import { copyPartAnswerSchema } from './schemas.ts';
import { encodeKeyPath } from './url.ts';
import { CosXmlError, parseXml } from './xml.ts';

/**
 * The calls a completion worker makes to build an object from bytes already in COS: Upload Part -
 * Copy (compose), and a ranged GET plus Upload Part (sealing an append upload: an appendable object
 * cannot be copied, 436/7741). All retried by sendCos; re-sending a part replaces it, so a worker
 * that restarts simply sends the parts COS does not list yet.
 */

const DECIMAL = /^\d+$/;
const crc64Of = (h: Headers): string | null => {
  const v = h.get('x-cos-hash-crc64ecma');
  return v !== null && DECIMAL.test(v) ? v : null;
};

function checkRange(start: number, end: number): void {
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || end < start) {
    throw validationFailed([{ path: ['range'], message: 'must be 0 <= start <= end' }]);
  }
}

/**
 * Upload Part - Copy (436/8287): `x-cos-copy-source` names the source as
 * `<bucket>.cos.<region>.myqcloud.com/<URL-encoded key>` whatever endpoint we talk to, and
 * `x-cos-copy-source-range` its inclusive bytes.
 */
export async function uploadPartCopy(
  ctx: CosClientContext,
  at: { bucket: string; region: string },
  key: string,
  uploadId: string,
  partNumber: number,
  source: { key: string; start: number; end: number },
): Promise<{ etag: string; crc64: string | null }> {
  checkKey(key);
  checkKey(source.key);
  checkUploadId(uploadId);
  checkPartNumber(partNumber);
  checkRange(source.start, source.end);
  const req = {
    op: 'UploadPartCopy',
    method: 'PUT',
    key,
    query: { partNumber, uploadId },
    headers: {
      'x-cos-copy-source': `${at.bucket}.cos.${at.region}.myqcloud.com/${encodeKeyPath(source.key)}`,
      'x-cos-copy-source-range': `bytes=${source.start}-${source.end}`,
    },
  } as const;
  return sendCos(ctx, req, (a) => {
    const answer = parseXml(a.body, copyPartAnswerSchema);
    if (!answer.ok) {
      throw new CosError({
        status: a.status,
        code: answer.error.code,
        requestId: a.headers.get('x-cos-request-id') ?? answer.error.requestId,
        cosMessage: answer.error.message,
        serverDate: a.headers.get('date'),
      });
    }
    return { etag: answer.etag, crc64: crc64Of(a.headers) };
  });
}

export async function uploadPart(
  ctx: CosClientContext,
  key: string,
  uploadId: string,
  partNumber: number,
  body: Uint8Array,
): Promise<{ etag: string; crc64: string | null }> {
  checkKey(key);
  checkUploadId(uploadId);
  checkPartNumber(partNumber);
  const req = {
    op: 'UploadPart',
    method: 'PUT',
    key,
    query: { partNumber, uploadId },
    headers: { 'content-length': String(body.length) },
    body: new Uint8Array(body),
  } as const;
  return sendCos(ctx, req, (a) => {
    const etag = a.headers.get('etag');
    if (!etag) throw new CosXmlError('COS Upload Part answer lacks an ETag', '');
    return { etag, crc64: crc64Of(a.headers) };
  });
}

/** GET Object with `Range: bytes=start-end` (436/7753); the answer must be exactly those bytes. */
export async function getObjectRange(
  ctx: CosClientContext,
  key: string,
  start: number,
  end: number,
): Promise<Uint8Array> {
  checkKey(key);
  checkRange(start, end);
  const req = {
    op: 'GetObject',
    method: 'GET',
    key,
    headers: { range: `bytes=${start}-${end}` },
    binary: true,
  } as const;
  return sendCos(ctx, req, (a) => {
    const bytes = a.bytes ?? new Uint8Array(0);
    if (bytes.length !== end - start + 1) throw new CosXmlError('COS GET answered another length than asked', '');
    return bytes;
  });
}
