import { isAbortError, stoppedError, throwIfStopped, UploadClientError } from './errors.ts';
import type { RetryInfo, RetryOptions } from './types.ts';

/** Resolved backoff settings; `random` and `sleep` are swappable so tests need not wait. */
export interface RetryPolicy {
  /** Attempts after the first one. */
  retries: number;
  /** Upper bound of the first delay in ms. */
  baseDelayMs: number;
  /** Cap of any single delay in ms. */
  maxDelayMs: number;
  /** A number in [0, 1), for the jitter. */
  random: () => number;
  /** Waits `ms`, rejecting with `STOPPED` when `signal` fires. */
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Told of each retry before its wait ({@link RetryOptions.onRetry}). */
  onRetry?: (retry: RetryInfo) => void;
}

/** Defaults sized for a flaky mobile link: ~7 attempts spread over up to a minute. */
export function retryPolicy(opts: RetryOptions = {}, overrides: Partial<RetryPolicy> = {}): RetryPolicy {
  return {
    retries: opts.retries ?? 6,
    baseDelayMs: opts.baseDelayMs ?? 250,
    maxDelayMs: opts.maxDelayMs ?? 20_000,
    random: Math.random,
    sleep,
    onRetry: opts.onRetry,
    ...overrides,
  };
}

/**
 * Full jitter (AWS architecture blog, "Exponential Backoff And Jitter"): a uniform delay in
 * [0, min(cap, base·2^attempt)). Spreading retries over the whole window stops a fleet of clients
 * that failed together from retrying together.
 */
export function backoffDelay(attempt: number, policy: Pick<RetryPolicy, 'baseDelayMs' | 'maxDelayMs' | 'random'>) {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** attempt);
  return Math.floor(policy.random() * ceiling);
}

/** setTimeout as a promise that rejects with `STOPPED` when `signal` fires. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(stoppedError(signal.reason));
    const onAbort = () => {
      clearTimeout(timer);
      reject(stoppedError(signal?.reason));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Retries only what may heal by itself: an {@link UploadClientError} its code calls retryable. */
export const isRetryableError = (e: unknown): boolean => e instanceof UploadClientError && e.retryable;

/**
 * Runs `attempt` until it succeeds, fails with an error `retryable` refuses, or the retries run
 * out (the last error is thrown). A stop is never retried: it rejects with `STOPPED`.
 */
export async function withRetry<T>(
  attempt: (n: number) => Promise<T>,
  policy: RetryPolicy,
  signal?: AbortSignal,
  retryable: (e: unknown) => boolean = isRetryableError,
): Promise<T> {
  for (let n = 0; ; n++) {
    throwIfStopped(signal);
    let failure: unknown;
    try {
      return await attempt(n);
    } catch (e) {
      if (isAbortError(e) || signal?.aborted) throw signal?.aborted ? stoppedError(signal.reason) : e;
      if (n >= policy.retries || !retryable(e)) throw e;
      failure = e;
    }
    const delayMs = backoffDelay(n, policy);
    if (policy.onRetry && failure instanceof UploadClientError) {
      try {
        policy.onRetry({ error: failure, attempt: n + 1, delayMs });
      } catch {
        // A reporter's bug must not change what the upload does.
      }
    }
    await policy.sleep(delayMs, signal);
  }
}
