import type { ValidationIssue } from '../errors.ts';

/**
 * What COS accepts in the headers the server sets on an object at Initiate (content type and
 * `x-cos-meta-*`). One rule, used by the API schema at create and by the COS adapter, so an
 * upload that create accepts can always be initiated, presigned and completed.
 */

/**
 * Header values reach COS byte for byte: fetch trims surrounding whitespace and refuses
 * non-Latin-1, and COS keeps metadata ASCII. So: printable ASCII, no surrounding spaces.
 */
export const HEADER_VALUE = /^(?:[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?)?$/;

/** `x-cos-meta-` suffixes: lowercase letters, digits and `-`, no `_` (COS docs 436/7746, 436/7749). */
export const META_NAME = /^[a-z0-9][a-z0-9-]*$/;
export const MAX_METADATA_KEYS = 10;
/**
 * User metadata is at most 2 KB in all (436/7749). COS does not say what it counts; we count the
 * full header names (`x-cos-meta-` + suffix) and the values, in bytes, which is the stricter reading.
 */
export const MAX_METADATA_BYTES = 2048;
export const META_PREFIX = 'x-cos-meta-';

/** Every problem with a metadata map, paths relative to the map (`[name]`). */
export function metadataIssues(metadata: Record<string, string>): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const names = Object.keys(metadata);
  if (names.length > MAX_METADATA_KEYS) issues.push({ path: [], message: `at most ${MAX_METADATA_KEYS} keys` });
  let bytes = 0;
  for (const name of names) {
    const value = metadata[name]!;
    if (!META_NAME.test(name) || name.length > 128) {
      issues.push({ path: [name], message: 'names are [a-z0-9] then [a-z0-9-] (COS allows no _ or capitals)' });
    }
    if (!HEADER_VALUE.test(value)) {
      issues.push({ path: [name], message: 'values must be printable ASCII without surrounding spaces' });
    }
    bytes += META_PREFIX.length + name.length + value.length;
  }
  if (bytes > MAX_METADATA_BYTES) {
    issues.push({
      path: [],
      message: `at most ${MAX_METADATA_BYTES} bytes in all (names with ${META_PREFIX}, and values)`,
    });
  }
  return issues;
}

/** A header value problem, or null. */
export const headerValueIssue = (value: string): string | null =>
  HEADER_VALUE.test(value) ? null : 'must be printable ASCII without surrounding spaces';

/**
 * COS's storage class names, as `x-cos-storage-class` takes them (PUT Object 436/7749, Initiate
 * 436/7746; the classes are described in 436/33417). `ALLOWED_STORAGE_CLASSES` may name only these,
 * so a create never asks COS for a class it refuses (InvalidStorageClass).
 */
export const COS_STORAGE_CLASSES = [
  'STANDARD',
  'STANDARD_IA',
  'INTELLIGENT_TIERING',
  'ARCHIVE',
  'DEEP_ARCHIVE',
  'MAZ_STANDARD',
  'MAZ_STANDARD_IA',
  'MAZ_INTELLIGENT_TIERING',
] as const;
export const DEFAULT_STORAGE_CLASS = 'STANDARD';

/**
 * Whether a create may ask for `storageClass`, given the allow-list in force (the config's, or
 * an upload profile's own): a problem, or null.
 */
export const storageClassIssue = (storageClass: string, allowed: readonly string[]): string | null =>
  allowed.includes(storageClass) ? null : `must be one of ${allowed.join(', ')} (ALLOWED_STORAGE_CLASSES)`;

/**
 * Object headers besides content type and metadata, set at Initiate. COS documents no length
 * limit for them; 1,024 characters each is the contract's, far below any header size limit.
 */
export const MAX_OBJECT_HEADER_CHARS = 1024;

/** `Cache-Control`, `Content-Disposition`, `Content-Encoding`, `Content-Language`, `Expires`: a problem, or null. */
export function objectHeaderIssue(value: string): string | null {
  if (value.length === 0) return 'must not be empty';
  if (value.length > MAX_OBJECT_HEADER_CHARS) return `at most ${MAX_OBJECT_HEADER_CHARS} characters`;
  return headerValueIssue(value);
}

/**
 * An HTTP date in its one form senders may generate, IMF-fixdate (RFC 9110 §5.6.7:
 * `Sun, 06 Nov 1994 08:49:37 GMT`): exactly what `Date#toUTCString` prints for that instant, so
 * a wrong weekday or day 31 of a 30-day month is refused too.
 */
export function httpDateIssue(value: string): string | null {
  const problem = objectHeaderIssue(value);
  if (problem) return problem;
  const t = Date.parse(value);
  return Number.isFinite(t) && new Date(t).toUTCString() === value
    ? null
    : 'must be an HTTP date (IMF-fixdate), e.g. Sun, 06 Nov 1994 08:49:37 GMT';
}
