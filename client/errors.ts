import type { ErrorCode } from '../shared/errors.ts';
import { isRetryable } from './retryable.ts';
import type { Upload } from './types.ts';

/** Failures that originate in the client rather than in an API error body. */
export type ClientErrorCode =
  /** fetch threw (DNS, refused, reset) and retries were exhausted. */
  | 'NETWORK_ERROR'
  /**
   * The caller's `signal` stopped the upload (or an {@link ApiClient} call). Nothing was deleted:
   * the upload stays resumable with `uploadId`.
   */
  | 'STOPPED'
  /** `UploadTask.abort()` cancelled the upload and deleted its session. */
  | 'ABORTED'
  /** COS answered a part PUT with an error the client cannot repair. */
  | 'COS_ERROR'
  /** A COS response lacked the `ETag` header (CORS must expose it). */
  | 'ETAG_MISSING'
  /** The bytes COS stored do not hash to what was read locally, even after re-sending them. */
  | 'CRC64_MISMATCH'
  /** The local file does not match the upload being resumed. */
  | 'SOURCE_MISMATCH'
  /** The API answered something that is not the contract. */
  | 'INVALID_RESPONSE'
  /** COS was still assembling the object when `completeTimeoutMs` ran out (it goes on server-side). */
  | 'COMPLETE_TIMEOUT'
  /** Bad options passed to the client. */
  | 'INVALID_OPTIONS';

/** Any code an {@link UploadClientError} may carry: the contract's, the client's, or a newer server's. */
export type UploadErrorCode = ErrorCode | ClientErrorCode | (string & {});

/**
 * Every error the SDK throws. For API failures `code`, `message` and `details` are the contract's
 * error body (`VALIDATION_FAILED`, `PARTS_INVALID`, ...); `status` is the HTTP status, or null when
 * no response was received.
 */
export class UploadClientError extends Error {
  /** Always `UploadClientError`: unlike the class name, it survives minifiers. */
  override readonly name = 'UploadClientError';
  /** The HTTP status of the answer the error came from; null when there was none. */
  readonly status: number | null;
  /** A stable code to branch on; see {@link ClientErrorCode} and the API's error codes. */
  readonly code: UploadErrorCode;
  /** The contract's `details` (e.g. `{ missing, wrongSize, etagMismatch }`), or the client's. */
  readonly details: Record<string, unknown>;
  /**
   * Whether trying again later may succeed, derived from `code` (and, for codes that only name a
   * transport, from `status`) by one table: see `client/retryable.ts` and the README.
   */
  readonly retryable: boolean;
  /**
   * The upload as the API last showed it, when the failure was read off the upload object rather
   * than an error body: an assembly that failed after complete answered 202 (`code`, `message`
   * and `details` are then its `lastError`, and `status` that of the synchronous refusal it stands
   * for, 409), an upload that ended aborted or expired while assembling, or `COMPLETE_TIMEOUT`.
   */
  readonly upload: Upload | null;

  /** `options.cause` is the underlying error; `options.upload` fills {@link upload}. */
  constructor(
    status: number | null,
    code: UploadErrorCode,
    message: string,
    details: Record<string, unknown> = {},
    options?: ErrorOptions & { upload?: Upload },
  ) {
    super(message, options);
    this.status = status;
    this.code = code;
    this.details = details;
    this.retryable = isRetryable(code, status);
    this.upload = options?.upload ?? null;
  }

  /** The contract's error body shape, for printing. */
  toJSON(): { error: { code: string; message: string; details: Record<string, unknown>; status: number | null } } {
    return { error: { code: this.code, message: this.message, details: this.details, status: this.status } };
  }
}

/** The error thrown when a signal stops the work; `cause` is the signal's reason. */
export const stoppedError = (reason?: unknown): UploadClientError =>
  new UploadClientError(null, 'STOPPED', 'upload was stopped', {}, { cause: reason });

/** The error an upload rejects with after `abort()` deleted it. */
export const abortedError = (reason?: unknown): UploadClientError =>
  new UploadClientError(null, 'ABORTED', 'upload was aborted', {}, { cause: reason });

/**
 * True for an error that means "stopped on purpose", whatever layer threw it: `STOPPED` (the
 * caller's signal; the upload is kept), `ABORTED` (`abort()`; the upload is deleted), or a DOM
 * `AbortError`/`TimeoutError`. Branch on `code` to tell a stop from an abort.
 */
export function isAbortError(e: unknown): boolean {
  if (e instanceof UploadClientError) return e.code === 'STOPPED' || e.code === 'ABORTED';
  return typeof e === 'object' && e !== null && 'name' in e && (e.name === 'AbortError' || e.name === 'TimeoutError');
}

/** Throws the stop error if the signal has fired. */
export function throwIfStopped(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw stoppedError(signal.reason);
}

/** A short cause for messages; undici hides the useful part in `cause`. */
export function describe(e: unknown): string {
  if (e instanceof Error) {
    const cause = e.cause instanceof Error ? `: ${e.cause.message}` : '';
    return `${e.message}${cause}`;
  }
  return String(e);
}
