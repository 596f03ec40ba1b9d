import { CONTENT_MD5, COS_MAX_TRAFFIC_LIMIT_BPS, COS_MIN_TRAFFIC_LIMIT_BPS } from '../core/cos-limits.ts';
import {
  COS_STORAGE_CLASSES,
  headerValueIssue,
  httpDateIssue,
  META_PREFIX,
  metadataIssues,
  objectHeaderIssue,
} from '../core/object-headers.ts';
import { validationFailed } from '../errors.ts';
import type { ObjectHeaders } from '../ports.ts';
import { isAddressableKey } from './url.ts';

/**
 * What the adapter accepts. Callers validate their own input first; these make a slip a clear
 * 400 instead of a request COS would misread (or fetch would throw on).
 */

const MAX_PART_NUMBER = 10_000;
const MAX_PAGE = 1000;

/**
 * Header values we sign must reach COS byte for byte (the rule is the core's, object-headers.ts),
 * so anything else is refused up front rather than failing later as SignatureDoesNotMatch.
 */
export function checkHeaderValue(field: string, value: string): string {
  const problem = headerValueIssue(value);
  if (problem) throw validationFailed([{ path: [field], message: problem }]);
  return value;
}

/** `x-cos-meta-<name>` headers for user metadata, checked by the same rule as the API's create. */
export function metadataHeaders(metadata: Record<string, string>): Record<string, string> {
  const issues = metadataIssues(metadata);
  if (issues.length > 0) throw validationFailed(issues.map((i) => ({ ...i, path: ['metadata', ...i.path] })));
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(metadata)) out[`${META_PREFIX}${name}`] = value;
  return out;
}

const OPTIONAL_HEADERS = [
  ['cacheControl', 'cache-control'],
  ['contentDisposition', 'content-disposition'],
  ['contentEncoding', 'content-encoding'],
  ['contentLanguage', 'content-language'],
] as const;

/**
 * Storage class and the optional object headers, checked by the create schema's rules (the
 * core's): a storage class COS does not know would be InvalidStorageClass, a value fetch cannot
 * send would throw. Unset ones are not sent.
 */
export function objectHeaderFields(opts: ObjectHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  const fail = (field: string, message: string) => {
    throw validationFailed([{ path: [field], message }]);
  };
  if (opts.storageClass !== undefined) {
    if (!(COS_STORAGE_CLASSES as readonly string[]).includes(opts.storageClass))
      fail('storageClass', 'not a COS storage class');
    out['x-cos-storage-class'] = opts.storageClass;
  }
  for (const [field, name] of OPTIONAL_HEADERS) {
    const v = opts[field];
    if (v === undefined || v === null) continue;
    const problem = objectHeaderIssue(v);
    if (problem) fail(field, problem);
    out[name] = v;
  }
  if (opts.expires !== undefined && opts.expires !== null) {
    const problem = httpDateIssue(opts.expires);
    if (problem) fail('expires', problem);
    out.expires = opts.expires;
  }
  return out;
}

/** Base64 of 16 bytes, or COS answers InvalidDigest. */
export function checkContentMd5(md5: string): string {
  if (typeof md5 !== 'string' || !CONTENT_MD5.test(md5)) {
    throw validationFailed([{ path: ['md5'], message: 'must be the base64 of a 16-byte MD5' }]);
  }
  return md5;
}

/** COS's `x-cos-traffic-limit` range (436/40140), or COS answers 400. */
export function checkTrafficLimit(bps: number): number {
  if (!Number.isInteger(bps) || bps < COS_MIN_TRAFFIC_LIMIT_BPS || bps > COS_MAX_TRAFFIC_LIMIT_BPS) {
    throw validationFailed([
      {
        path: ['trafficLimit'],
        message: `must be an integer ${COS_MIN_TRAFFIC_LIMIT_BPS}..${COS_MAX_TRAFFIC_LIMIT_BPS} (bits/s)`,
      },
    ]);
  }
  return bps;
}

/** An empty id would render as a bare `?uploadId` and address something else entirely. */
export function checkUploadId(uploadId: string): void {
  if (typeof uploadId !== 'string' || uploadId.length === 0 || uploadId.length > 1024) {
    throw validationFailed([{ path: ['uploadId'], message: 'must be a non-empty COS upload id' }]);
  }
}

export function checkKey(key: string): void {
  if (!isAddressableKey(key)) {
    throw validationFailed([{ path: ['key'], message: 'not a valid COS object key' }]);
  }
}

export function checkPresign(contentLength: number, expiresSeconds: number): void {
  if (!Number.isSafeInteger(contentLength) || contentLength < 0) {
    throw validationFailed([{ path: ['contentLength'], message: 'must be a non-negative integer' }]);
  }
  if (!Number.isInteger(expiresSeconds) || expiresSeconds < 1) {
    throw validationFailed([{ path: ['expiresSeconds'], message: 'must be a positive integer' }]);
  }
}

export function checkPartNumber(partNumber: number): void {
  if (!Number.isInteger(partNumber) || partNumber < 1 || partNumber > MAX_PART_NUMBER) {
    throw validationFailed([{ path: ['partNumber'], message: `must be an integer 1..${MAX_PART_NUMBER}` }]);
  }
}

export function checkMaxUploads(maxUploads: number): number {
  if (!Number.isInteger(maxUploads) || maxUploads < 1 || maxUploads > MAX_PAGE) {
    throw validationFailed([{ path: ['maxUploads'], message: `must be an integer 1..${MAX_PAGE}` }]);
  }
  return maxUploads;
}
