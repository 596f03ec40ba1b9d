import { UploadClientError } from './errors.ts';
import { backoffDelay, type RetryPolicy } from './retry.ts';
import { isRetryable } from './retryable.ts';
import type { Upload } from './types.ts';

/** How {@link ApiClient.complete} waits while COS assembles the object after a 202. */
export interface CompleteOptions {
  /**
   * Give up after this long (ms, from the first complete call) with `COMPLETE_TIMEOUT`; the
   * assembly goes on server-side. Default: wait as long as the API reports `completing`.
   */
  timeoutMs?: number;
  /**
   * Called each time the API reports the upload `completing`: once for the 202, then after every
   * poll that still shows it. Errors it throws are ignored.
   */
  onAssembling?: (upload: Upload) => void;
}

/** One answer about the upload: from `POST .../complete` or from `GET /v1/uploads/{id}`. */
export interface CompleteAnswer {
  upload: Upload;
  /** The answer's `Retry-After`, in ms; null without one. */
  retryAfterMs: number | null;
  from: 'complete' | 'get';
  /** The HTTP status of the answer (200 or 202 for complete). */
  status: number;
}

/** What {@link waitForCompletion} calls: the two routes, the backoff seams and a clock. */
export interface CompleteWaitDeps {
  complete: (signal?: AbortSignal) => Promise<CompleteAnswer>;
  get: (signal?: AbortSignal) => Promise<CompleteAnswer>;
  policy: Pick<RetryPolicy, 'retries' | 'baseDelayMs' | 'maxDelayMs' | 'random' | 'sleep'>;
  now: () => number;
}

/** Without a Retry-After the first poll comes after a second… */
export const POLL_START_MS = 1000;
/** …later ones ×1.5… */
export const POLL_FACTOR = 1.5;
/** …up to 15 s (unless the server asked for longer). */
export const POLL_MAX_MS = 15_000;
/** A `Retry-After: 0` (or a date gone by) still leaves this between polls: "now" is not "hammer". */
export const POLL_MIN_MS = 250;
/** Up to +20%, and only upwards so a Retry-After stays a floor. */
const POLL_JITTER = 0.2;

/**
 * Completes an upload and waits out an asynchronous assembly: after a 202 the upload is polled with
 * `GET` (cheaper than calling complete again) until it is `completed`. Waiting is not failing: polls
 * spend no retry budget; each poll retries its own network errors and 5xx like any API call.
 *
 * - `completed`: resolved with the upload.
 * - back to `open` with `lastError`: rejected with an {@link UploadClientError} carrying
 *   lastError's code, message and details (a background `PARTS_INVALID` looks like the
 *   synchronous 409). A lastError whose code is retryable (`STORAGE_UNAVAILABLE`,
 *   `STORE_UNAVAILABLE`; see `retryable.ts`) is completed again after a backoff, within the retry
 *   budget.
 * - `open` without lastError on a poll (the server lost track of the assembly): completed again.
 * - `aborted` / `expired`: rejected with `UPLOAD_NOT_OPEN` (details: state, lastError).
 */
export async function waitForCompletion(
  deps: CompleteWaitDeps,
  signal?: AbortSignal,
  opts: CompleteOptions = {},
): Promise<Upload> {
  const startedAt = deps.now();
  const deadline = opts.timeoutMs === undefined ? Number.POSITIVE_INFINITY : startedAt + opts.timeoutMs;
  let answer = await deps.complete(signal);
  let pollBase = POLL_START_MS;
  let polls = 0;
  let failures = 0;
  for (;;) {
    const { upload } = answer;
    if (upload.state === 'completed') return upload;
    if (upload.state === 'open') {
      if (!upload.lastError) {
        if (answer.from === 'complete') {
          throw new UploadClientError(
            answer.status,
            'INVALID_RESPONSE',
            `complete answered ${answer.status} with upload ${upload.id} still open`,
            { state: upload.state },
            { upload },
          );
        }
        answer = await deps.complete(signal);
        continue;
      }
      const error = lastErrorToError(upload);
      if (!error.retryable || failures >= deps.policy.retries) throw error;
      await deps.policy.sleep(backoffDelay(failures++, deps.policy), signal);
      answer = await deps.complete(signal);
      continue;
    }
    if (upload.state !== 'completing') throw notOpen(upload);
    try {
      opts.onAssembling?.(upload);
    } catch {
      // advisory only
    }
    const now = deps.now();
    if (now >= deadline) {
      throw new UploadClientError(
        null,
        'COMPLETE_TIMEOUT',
        `upload ${upload.id} was still being assembled after ${now - startedAt} ms`,
        { uploadId: upload.id, state: upload.state, waitedMs: now - startedAt },
        { upload },
      );
    }
    if (answer.retryAfterMs !== null) {
      // The server's own estimate restarts the backoff.
      pollBase = Math.max(POLL_MIN_MS, answer.retryAfterMs);
      polls = 0;
    }
    await deps.policy.sleep(Math.min(pollDelay(pollBase, polls++, deps.policy.random), deadline - now), signal);
    answer = await deps.get(signal);
  }
}

/**
 * The wait before poll `n` (0-based) counted from `base` (the Retry-After, else 1 s): ×1.5 per poll
 * up to 15 s — or up to `base` when the server asked for longer — plus up to 20% jitter, so
 * clients that got their 202 together do not poll together.
 */
export function pollDelay(base: number, n: number, random: () => number): number {
  const ceiling = Math.max(POLL_MAX_MS, base);
  return Math.round(Math.min(ceiling, base * POLL_FACTOR ** n) * (1 + POLL_JITTER * random()));
}

/** `Retry-After` in ms: delay-seconds or an HTTP date; null when absent or unreadable. */
export function parseRetryAfter(value: string | null, now: number): number | null {
  if (value === null) return null;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v);
  return Number.isFinite(at) ? Math.max(0, at - now) : null;
}

/**
 * The error an upload reopened by a failed background step stands for: a 503 when its code says
 * "COS or the table hiccuped" (so it is retryable), else the 409 the synchronous refusal would be.
 */
function lastErrorToError(upload: Upload): UploadClientError {
  const last = upload.lastError!;
  const status = isRetryable(last.code, null) ? 503 : 409;
  return new UploadClientError(status, last.code, last.message, last.details ?? {}, { upload });
}

function notOpen(upload: Upload): UploadClientError {
  const why = upload.lastError ? `: ${upload.lastError.message}` : '';
  return new UploadClientError(
    409,
    'UPLOAD_NOT_OPEN',
    `upload ${upload.id} is ${upload.state}${why}`,
    { state: upload.state, lastError: upload.lastError ?? null },
    { upload },
  );
}
