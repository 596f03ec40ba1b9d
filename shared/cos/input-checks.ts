import { headerValueIssue, META_PREFIX, metadataIssues } from '../core/object-headers.ts';
import { validationFailed } from '../errors.ts';
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
