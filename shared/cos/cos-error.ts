import {
  isStorageRejection,
  isUploadError,
  type StorageRejection,
  storageRejected,
  storageUnavailable,
  type UploadError,
} from '../errors.ts';
import { isCosXmlError } from './xml.ts';

/**
 * A COS error answer: an HTTP error status, or an `<Error>` inside Complete's 200 body. The
 * message names the code and status only — never XML, URLs or credentials.
 */
export class CosError extends Error {
  override readonly name = 'CosError';
  /** HTTP status; 200 for an `<Error>` inside Complete's streamed answer. */
  readonly status: number;
  /** COS's `<Code>`, or `Http<status>` when the answer had no parseable error body (HEAD, proxies). */
  readonly code: string;
  readonly requestId: string | null;
  /** COS's human `<Message>` (plain text), for logs. */
  readonly cosMessage: string;
  /** The answer's `Date` header: COS's clock, for correcting our skew. */
  readonly serverDate: string | null;

  constructor(init: {
    status: number;
    code: string;
    requestId: string | null;
    cosMessage?: string;
    serverDate?: string | null;
  }) {
    super(`COS answered ${init.code} (HTTP ${init.status})`);
    this.status = init.status;
    this.code = init.code;
    this.requestId = init.requestId;
    this.cosMessage = init.cosMessage ?? '';
    this.serverDate = init.serverDate ?? null;
  }
}

/** fetch rejected (connection refused/reset, DNS) or the attempt timed out. */
export class CosNetworkError extends Error {
  override readonly name = 'CosNetworkError';
  readonly timeout: boolean;

  constructor(timeout: boolean, cause: unknown) {
    super(timeout ? 'COS request timed out' : 'COS request failed on the network', { cause });
    this.timeout = timeout;
  }
}

export const isCosError = (e: unknown): e is CosError => e instanceof CosError;

/** Codes an `<Error>` in a 200 body (no status to go by) carries when trying again may help. */
const TRANSIENT_CODES: ReadonlySet<string> = new Set(['SlowDown', 'ServiceUnavailable', 'InternalError']);

/**
 * COS refused the signature's time window: our clock is off. The official SDK treats exactly these
 * two answers as clock errors (cos-nodejs-sdk-v5 sdk/base.js, getRetryInfo).
 */
export const isClockError = (e: CosError): boolean =>
  e.code === 'RequestTimeTooSkewed' || (e.code === 'AccessDenied' && e.cosMessage === 'Request has expired');

/** COS rejected the part list of a Complete; the core turns these into PARTS_INVALID details. */
export const PART_LIST_CODES: ReadonlySet<string> = new Set(['InvalidPart', 'InvalidPartOrder', 'EntityTooSmall']);

/** Retry policy: 5xx, 429, SlowDown and network failures; never any other 4xx. */
export function isRetriable(e: unknown): boolean {
  if (e instanceof CosNetworkError) return true;
  if (!(e instanceof CosError)) return false;
  if (e.status >= 500 || e.status === 429 || e.code === 'SlowDown') return true;
  return e.status < 400 && TRANSIENT_CODES.has(e.code);
}

/** The CosError behind `e`, whether `e` is one or an UploadError mapped from one. */
export function cosErrorOf(e: unknown): CosError | null {
  for (let cur = e, depth = 0; cur instanceof Error && depth < 5; cur = cur.cause, depth++) {
    if (cur instanceof CosError) return cur;
  }
  return null;
}

/** The multipart upload does not exist (never did, completed, or aborted). */
export const isNoSuchUpload = (e: unknown): boolean =>
  isStorageRejection(e, 'NoSuchUpload') || cosErrorOf(e)?.code === 'NoSuchUpload';

/** COS refused Complete's part list: InvalidPart, InvalidPartOrder or EntityTooSmall. */
export const isPartListRejected = (e: unknown): boolean =>
  isStorageRejection(e, 'InvalidPart', 'InvalidPartOrder', 'EntityTooSmall') ||
  PART_LIST_CODES.has(cosErrorOf(e)?.code ?? '');

/** COS codes the core branches on, by the family's StorageRejection reason. */
const REJECTIONS: Readonly<Record<string, { reason: StorageRejection; message: string }>> = {
  NoSuchUpload: { reason: 'NoSuchUpload', message: 'multipart upload does not exist in object storage' },
  NoSuchKey: { reason: 'NoSuchKey', message: 'object does not exist in object storage' },
  InvalidPart: { reason: 'InvalidPart', message: 'object storage refused the part list (InvalidPart)' },
  InvalidPartOrder: { reason: 'InvalidPartOrder', message: 'object storage refused the part list (InvalidPartOrder)' },
  EntityTooSmall: { reason: 'EntityTooSmall', message: 'object storage refused the part list (EntityTooSmall)' },
};

/**
 * Translates whatever a COS call finally failed with into the project's error family, keeping
 * the original as `cause` for logs. Unknown errors are bugs and are rethrown untouched.
 */
export function toUploadError(e: unknown): UploadError {
  if (isUploadError(e)) return e;
  if (e instanceof CosNetworkError) return storageUnavailable(undefined, e, 503);
  if (isCosXmlError(e)) return storageUnavailable('object storage answered garbage', e, 502);
  if (!(e instanceof CosError)) throw e;
  const known = Object.hasOwn(REJECTIONS, e.code) ? REJECTIONS[e.code] : undefined;
  if (known) return storageRejected(known.reason, known.message, e);
  if (isRetriable(e)) return storageUnavailable(undefined, e, 503);
  // Any other refusal (AccessDenied, SignatureDoesNotMatch, ...) is our configuration, not the client's input.
  if (e.status === 403) return storageRejected('AccessDenied', 'object storage denied access', e);
  return storageRejected('Other', 'object storage refused the request', e);
}
