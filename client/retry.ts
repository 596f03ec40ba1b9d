import { abortedError, isAbortError, throwIfAborted, UploadClientError } from './errors.ts';
import type { RetryOptions } from './types.ts';

/** Resolved backoff settings; `random` and `sleep` are swappable so tests need not wait. */
export interface RetryPolicy {
  retries: number;
  baseDelayMs: number;
  maxDelayMs: number;
  random: () => number;
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/** Defaults sized for a flaky mobile link: ~7 attempts spread over up to a minute. */
export function retryPolicy(opts: RetryOptions = {}, overrides: Partial<RetryPolicy> = {}): RetryPolicy {
  return {
    retries: opts.retries ?? 6,
    baseDelayMs: opts.baseDelayMs ?? 250,
    maxDelayMs: opts.maxDelayMs ?? 20_000,
    random: Math.random,
    sleep,
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

/** setTimeout as a promise that rejects with the abort error when `signal` fires. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortedError(signal.reason));
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortedError(signal?.reason));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Retries only what may heal by itself: no response at all, or a 5xx. */
export const isRetryable = (e: unknown): boolean => e instanceof UploadClientError && e.retryable;

/**
 * Runs `attempt` until it succeeds, fails with a non-retryable error, or the retries run out (the
 * last error is thrown). Aborts are never retried.
 */
export async function withRetry<T>(
  attempt: (n: number) => Promise<T>,
  policy: RetryPolicy,
  signal?: AbortSignal,
  retryable: (e: unknown) => boolean = isRetryable,
): Promise<T> {
  for (let n = 0; ; n++) {
    throwIfAborted(signal);
    try {
      return await attempt(n);
    } catch (e) {
      if (isAbortError(e) || signal?.aborted) throw signal?.aborted ? abortedError(signal.reason) : e;
      if (n >= policy.retries || !retryable(e)) throw e;
    }
    await policy.sleep(backoffDelay(n, policy), signal);
  }
}
