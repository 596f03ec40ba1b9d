import type { ErrorCode } from '../shared/errors.ts';

/** Failures that originate in the client rather than in an API error body. */
export type ClientErrorCode =
  /** fetch threw (DNS, refused, reset) and retries were exhausted. */
  | 'NETWORK_ERROR'
  /** The upload was stopped by `signal`, `pause()` or `abort()`. */
  | 'ABORTED'
  /** COS answered a part PUT with an error the client cannot repair. */
  | 'COS_ERROR'
  /** A COS response lacked the `ETag` header (CORS must expose it). */
  | 'ETAG_MISSING'
  /** The bytes COS stored do not hash to what was read locally. */
  | 'CRC64_MISMATCH'
  /** The local file does not match the upload being resumed. */
  | 'SOURCE_MISMATCH'
  /** The API answered something that is not the contract. */
  | 'INVALID_RESPONSE'
  /** Bad options passed to the client. */
  | 'INVALID_OPTIONS';

/**
 * Every error the SDK throws. For API failures `code`, `message` and `details` are the contract's
 * error body (`VALIDATION_FAILED`, `PARTS_INVALID`, ...); `status` is the HTTP status, or null when
 * no response was received.
 */
export class UploadClientError extends Error {
  override readonly name = 'UploadClientError';
  readonly status: number | null;
  readonly code: ErrorCode | ClientErrorCode | (string & {});
  readonly details: Record<string, unknown>;
  /** Whether trying again later may succeed (network errors, 5xx). */
  readonly retryable: boolean;

  constructor(
    status: number | null,
    code: ErrorCode | ClientErrorCode | (string & {}),
    message: string,
    details: Record<string, unknown> = {},
    options?: ErrorOptions & { retryable?: boolean },
  ) {
    super(message, options);
    this.status = status;
    this.code = code;
    this.details = details;
    this.retryable = options?.retryable ?? (status === null || status >= 500);
  }

  /** The contract's error body shape, for printing. */
  toJSON(): { error: { code: string; message: string; details: Record<string, unknown>; status: number | null } } {
    return { error: { code: this.code, message: this.message, details: this.details, status: this.status } };
  }
}

/** The error thrown when the upload is stopped; `cause` is the signal's reason. */
export const abortedError = (reason?: unknown): UploadClientError =>
  new UploadClientError(null, 'ABORTED', 'upload was aborted', {}, { cause: reason, retryable: false });

/** True for an error that means "stopped on purpose", whatever layer threw it. */
export function isAbortError(e: unknown): boolean {
  if (e instanceof UploadClientError) return e.code === 'ABORTED';
  return typeof e === 'object' && e !== null && 'name' in e && (e.name === 'AbortError' || e.name === 'TimeoutError');
}

/** Throws the abort error if the signal has fired. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw abortedError(signal.reason);
}
