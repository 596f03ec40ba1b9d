import type { ErrorCode } from '../shared/errors.ts';
import type { Upload } from './types.ts';

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
  /** COS was still assembling the object when `completeTimeoutMs` ran out (it goes on server-side). */
  | 'COMPLETE_TIMEOUT'
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
  /**
   * The upload as the API last showed it, when the failure was read off the upload object rather
   * than an error body: an assembly that failed after complete answered 202 (`code`, `message`
   * and `details` are then its `lastError`, and `status` that of the synchronous refusal it stands
   * for, 409), an upload that ended aborted or expired while assembling, or `COMPLETE_TIMEOUT`.
   */
  readonly upload: Upload | null;

  constructor(
    status: number | null,
    code: ErrorCode | ClientErrorCode | (string & {}),
    message: string,
    details: Record<string, unknown> = {},
    options?: ErrorOptions & { retryable?: boolean; upload?: Upload },
  ) {
    super(message, options);
    this.status = status;
    this.code = code;
    this.details = details;
    this.retryable = options?.retryable ?? (status === null || status >= 500);
    this.upload = options?.upload ?? null;
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
