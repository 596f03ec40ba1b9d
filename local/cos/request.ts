import type { IncomingMessage } from 'node:http';
import { CosError } from './cos-error.ts';
import type { CosOp } from './faults.ts';

/** COS limits object keys to 850 bytes of UTF-8. */
const MAX_KEY_BYTES = 850;

/** Where a COS request points: bucket, decoded key, decoded query (names keep their case). */
export interface CosTarget {
  bucket: string;
  /** Decoded object key without the leading '/'; '' for bucket-level requests. */
  key: string;
  /** First value of each parameter, by name as sent: what handlers read. */
  query: Map<string, string>;
  /** Every parameter in order, repeats included: what the signature check reads. */
  params: readonly (readonly [string, string])[];
}

const decode = (s: string): string => {
  try {
    return decodeURIComponent(s);
  } catch {
    throw new CosError(400, 'InvalidURI', 'Could not parse the specified URI.');
  }
};

/**
 * Path style: `/<bucket>/<key>` when the first segment is a bucket this emulator serves,
 * otherwise `/<key>` in the default bucket (what the SDK sends with `Domain: '127.0.0.1:<port>'`).
 * Percent-decoding as COS does: `%XX` only, a literal '+' stays '+'.
 */
export function parseTarget(url: string, defaultBucket: string, buckets: ReadonlySet<string>): CosTarget {
  const q = url.indexOf('?');
  const rawPath = q < 0 ? url : url.slice(0, q);
  const rawQuery = q < 0 ? '' : url.slice(q + 1);
  if (!rawPath.startsWith('/')) throw new CosError(400, 'InvalidURI', 'Could not parse the specified URI.');
  const rest = rawPath.slice(1);
  const slash = rest.indexOf('/');
  const first = decode(slash < 0 ? rest : rest.slice(0, slash));
  let bucket = defaultBucket;
  let rawKey = rest;
  if (buckets.has(first)) {
    bucket = first;
    rawKey = slash < 0 ? '' : rest.slice(slash + 1);
  }
  const query = new Map<string, string>();
  const params: [string, string][] = [];
  for (const piece of rawQuery.split('&')) {
    if (!piece) continue;
    const eq = piece.indexOf('=');
    const name = decode(eq < 0 ? piece : piece.slice(0, eq));
    const value = eq < 0 ? '' : decode(piece.slice(eq + 1));
    params.push([name, value]);
    if (!query.has(name)) query.set(name, value);
  }
  return { bucket, key: decode(rawKey), query, params };
}

/** Maps method + target to the COS operation, or throws (405 / 501) for what is not emulated. */
export function resolveOp(req: IncomingMessage, t: CosTarget): CosOp {
  const q = t.query;
  const copy = req.headers['x-cos-copy-source'] !== undefined;
  const needKey = (op: CosOp): CosOp => {
    if (!t.key) throw new CosError(400, 'InvalidArgument', `${op} needs an object key`);
    if (Buffer.byteLength(t.key) > MAX_KEY_BYTES)
      throw new CosError(400, 'KeyTooLong', `Object keys are limited to ${MAX_KEY_BYTES} bytes.`);
    return op;
  };
  switch (req.method) {
    case 'PUT':
      // A copy is the same PUT with x-cos-copy-source: Upload Part - Copy (436/8287) or PUT Object - Copy (436/10881).
      if (q.has('partNumber') || q.has('uploadId')) return needKey(copy ? 'UploadPartCopy' : 'UploadPart');
      return needKey(copy ? 'PutObjectCopy' : 'PutObject');
    case 'GET':
      if (!t.key) {
        if (q.has('uploads')) return 'ListMultipartUploads';
        throw new CosError(501, 'NotImplemented', 'Bucket-level GET other than ?uploads is not emulated.');
      }
      return q.has('uploadId') ? 'ListParts' : 'GetObject';
    case 'HEAD':
      return needKey('HeadObject');
    case 'DELETE':
      return needKey(q.has('uploadId') ? 'AbortMultipartUpload' : 'DeleteObject');
    case 'POST':
      if (q.has('uploads')) return needKey('InitiateMultipartUpload');
      if (q.has('uploadId')) return needKey('CompleteMultipartUpload');
      if (q.has('append')) return needKey('AppendObject');
      throw new CosError(501, 'NotImplemented', 'POST Object (form upload) is not emulated.');
    default:
      throw new CosError(405, 'MethodNotAllowed', `The specified method ${req.method ?? ''} is not allowed.`);
  }
}

/** A single header value (Node joins repeats with ', '), or undefined. */
export const header = (req: IncomingMessage, name: string): string | undefined => {
  const v = req.headers[name];
  return Array.isArray(v) ? v.join(', ') : v;
};
