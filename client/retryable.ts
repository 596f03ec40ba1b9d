import type { ErrorCode } from '../shared/errors.ts';
import type { ClientErrorCode } from './errors.ts';

/**
 * How a code decides `retryable`: `true` / `false`, or `'by-status'` for codes that name a
 * transport rather than a cause, which are retryable when the status says "busy or down" (429 or
 * 5xx) — and never without a status, so a local consistency check is not retried six times.
 */
export type RetryRule = boolean | 'by-status';

/**
 * The one table of what may heal by itself. Every API and client code is listed (the compiler
 * checks it), so a new code has to be classified here; a code a newer server sends that this
 * table does not know falls back to `'by-status'`.
 */
export const RETRY_RULES = {
  // No answer at all (DNS, refused, reset, a body cut short): the classic transient failure.
  NETWORK_ERROR: true,
  // COS or the upload table failed after the server's own retries: 503 by contract (502 when COS
  // refused), worth another attempt after a backoff.
  STORAGE_UNAVAILABLE: true,
  STORE_UNAVAILABLE: true,
  // COS was still assembling when completeTimeoutMs ran out; the merge goes on server-side, so a
  // later resume may well find the object completed.
  COMPLETE_TIMEOUT: true,
  // A part PUT COS refused: 5xx/429 (InternalError, ServiceUnavailable, SlowDown) are COS being
  // busy; a 4xx (AccessDenied, NoSuchUpload) stays so however often it is asked.
  COS_ERROR: 'by-status',
  // Not the contract: a gateway's own 502/503/504/429 page in front of the API is transient; a 2xx
  // of the wrong shape, or a check of the client's own (no status), answers the same next time.
  INVALID_RESPONSE: 'by-status',
  // A bug or a misconfigured server ("X is not configured"): the server calls it "not a retry's",
  // and a minute of backoff would only delay the same failure.
  INTERNAL: false,
  // Too many open uploads lasts until the caller's other uploads end, not for seconds.
  TOO_MANY_OPEN_UPLOADS: false,
  // The first request with this Idempotency-Key is still running: once it ends, the same request
  // gets its response replayed, so waiting and sending it again is exactly right.
  IDEMPOTENCY_KEY_IN_USE: true,
  // The key was used with another body: the client's bug, the same answer every time.
  IDEMPOTENCY_KEY_REUSED: false,
  // The client handles these itself where they can heal: one token refresh after a 401, one
  // re-send of the parts a PARTS_INVALID names, re-sends of a part COS hashed differently.
  UNAUTHORIZED: false,
  PARTS_INVALID: false,
  CRC64_MISMATCH: false,
  // Stopped or cancelled on purpose.
  STOPPED: false,
  ABORTED: false,
  // The request, the file or the setup is wrong: asking again changes nothing.
  VALIDATION_FAILED: false,
  MALFORMED_JSON: false,
  PAYLOAD_TOO_LARGE: false,
  FORBIDDEN: false,
  NOT_FOUND: false,
  UPLOAD_NOT_OPEN: false,
  UPLOAD_NOT_COMPLETED: false,
  UPLOAD_TOO_LARGE: false,
  CONTENT_TYPE_NOT_ALLOWED: false,
  ETAG_MISSING: false,
  SOURCE_MISMATCH: false,
  INVALID_OPTIONS: false,
} as const satisfies Record<ErrorCode | ClientErrorCode, RetryRule>;

/** Statuses that say "busy or down", not "wrong": throttling and server-side failures. */
const transientStatus = (status: number | null) => status !== null && (status === 429 || status >= 500);

/** Whether an error with this code (and HTTP status, null without an answer) may succeed when tried again. */
export function isRetryable(code: string, status: number | null): boolean {
  const rule: RetryRule = Object.hasOwn(RETRY_RULES, code)
    ? RETRY_RULES[code as keyof typeof RETRY_RULES]
    : 'by-status';
  return rule === 'by-status' ? transientStatus(status) : rule;
}
