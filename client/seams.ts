import type { RetryPolicy } from './retry.ts';

/**
 * Test seams: a clock, and backoff that need not wait. Not part of the SDK — `upload.ts` does not
 * export it, and no public signature takes it; tests reach the internal constructors instead
 * (`startUpload` in upload-run.ts, `buildApiClient` in http-api-client.ts).
 */
export interface Seams {
  /** The clock (default Date.now). */
  now?: () => number;
  /** Overrides of the resolved retry policy, e.g. a `sleep` that returns at once. */
  retry?: Partial<RetryPolicy>;
}
