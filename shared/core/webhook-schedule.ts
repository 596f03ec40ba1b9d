/**
 * When a failed delivery is tried again. The first retry waits about `retryBaseMs`, each next one
 * about twice as long; ±25 % jitter keeps the retries of many events that failed together (a
 * receiver's outage) from arriving together. Past `maxAgeMs` after the event there is no next
 * attempt: the event is `failed`, kept for an admin to inspect and redeliver.
 */
export interface WebhookSchedule {
  retryBaseMs: number;
  maxAgeMs: number;
}

/** Longest single wait: beyond this the doubling adds nothing but a longer silence. */
const MAX_DELAY_MS = 6 * 3600 * 1000;

/** Wait before retry number `failures` (1 = after the first failed attempt), without jitter. */
export function retryDelayMs(failures: number, retryBaseMs: number): number {
  return Math.min(MAX_DELAY_MS, retryBaseMs * 2 ** Math.max(0, failures - 1));
}

/**
 * The next attempt's time after `failures` failed attempts, or null when the event is out of time.
 * The last attempt is made at the deadline itself, so an outage shorter than the max age always
 * ends in a delivery. `random` is in [0, 1) (Math.random in production, fixed in tests).
 */
export function nextAttemptAfter(
  failures: number,
  createdAt: string,
  now: Date,
  s: WebhookSchedule,
  random: () => number,
): string | null {
  const deadline = Date.parse(createdAt) + s.maxAgeMs;
  if (now.getTime() >= deadline) return null;
  const delay = retryDelayMs(failures, s.retryBaseMs) * (0.75 + 0.5 * random());
  return new Date(Math.min(deadline, now.getTime() + delay)).toISOString();
}
