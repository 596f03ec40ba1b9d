import type { Clock, UploadRecord } from '../ports.ts';

/**
 * How a completion worker owns a merge. The lease outlives the worker's longest possible run
 * (the Lambda's 900 s timeout), so while it holds, nobody else starts a second Complete; once it has
 * run out, the worker is dead and the sweep (or a client's complete) may hand the upload to another.
 */
export interface WorkerTuning {
  /** How long a taken lease holds. */
  leaseSeconds: number;
  /** How long one worker run may work (COS Complete's wait included) before it hands back. */
  budgetMs: number;
  /** Waits between HEADs while COS has no upload and no object yet (a merge still running). */
  headPollMs: number;
  maxHeadPollMs: number;
}

export const DEFAULT_WORKER_TUNING: WorkerTuning = {
  // The worker Lambda's timeout is 900 s (serverless.yml); a minute more covers clock drift.
  leaseSeconds: 960,
  // Leaves a minute of the 900 s for the store writes that settle the outcome.
  budgetMs: 840_000,
  headPollMs: 2_000,
  maxHeadPollMs: 15_000,
};

export const workerTuning = (over: Partial<WorkerTuning> = {}): WorkerTuning => ({ ...DEFAULT_WORKER_TUNING, ...over });

/**
 * A `completing` upload no live worker owns: its lease ran out, or none was ever taken and it has
 * waited longer than a trigger takes to start one (the process that should have run it died).
 */
export function isOrphanedCompletion(u: UploadRecord, now: Date, unclaimedAfterMs = 60_000): boolean {
  if (u.state !== 'completing') return false;
  if (u.leaseUntil !== null) return u.leaseUntil < now.toISOString();
  return Date.parse(u.updatedAt) + unclaimedAfterMs <= now.getTime();
}

/** The clock's sleep, or real time (setTimeout is no I/O: the core stays deterministic where tests fix the clock). */
export const sleepOn = (clock: Clock, ms: number): Promise<void> =>
  clock.sleep ? clock.sleep(ms) : new Promise((resolve) => setTimeout(resolve, ms));
