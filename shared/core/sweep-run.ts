import { isUploadError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { UploadRecord } from '../ports.ts';
import type { CoreDeps } from './deps.ts';

/** What one sweep run did (or, dry, would do). Only actions this run won are listed. */
export interface SweepReport {
  /** Open uploads with no activity for `olderThanSeconds`, now `aborted`. */
  aborted: string[];
  /** Open uploads past `expiresAt`, now `expired`. */
  expired: string[];
  /** COS multipart uploads under the managed prefix that no open upload owns, now aborted in COS. */
  orphans: { key: string; uploadId: string }[];
  /** Uploads stuck in `completing` whose worker died (lease run out), handed to a new worker. */
  redriven: string[];
  dryRun: boolean;
  /** A budget ran out with work left: the next run continues (pass `nextCursor` to resume the COS listing). */
  more: boolean;
  /** Resumes the COS listing after where this run stopped; null once the listing reached its end. */
  nextCursor: string | null;
  /** Single actions that failed (logged one by one); the next run retries them. */
  errors: number;
}

/** The state shared by the passes of one run. */
export interface SweepRun {
  deps: CoreDeps;
  log: Logger;
  dryRun: boolean;
  /** ISO time the run started; expiry is judged against it. */
  now: string;
  /** ISO time: older activity (or COS initiation) than this is stale. */
  threshold: string;
  /** Uploads (store records) the run may still examine. */
  uploadsLeft: number;
  /** COS multipart listings the run may still examine. */
  cosLeft: number;
  /** Ids already judged this run (a dry run would otherwise list an expired, stale upload twice). */
  seen: Set<string>;
  report: SweepReport;
}

/**
 * What the sweep does to an upload as it is now: an open upload past `expiresAt` expires, an open
 * one idle since before the threshold is aborted, anything else is left alone (activity, a
 * complete or another sweep got there first).
 */
export function sweepVerdict(u: UploadRecord, now: string, threshold: string): 'expired' | 'aborted' | null {
  if (u.state !== 'open') return null;
  if (u.expiresAt <= now) return 'expired';
  return u.lastActivityAt < threshold ? 'aborted' : null;
}

/**
 * A COS multipart upload is owned only by the record that still needs it: open or completing, and
 * pointing at exactly this COS UploadId (a replaced or ended upload's COS remnant is an orphan).
 */
export const ownsCosUpload = (u: UploadRecord | null, cosUploadId: string): boolean =>
  u !== null && (u.state === 'open' || u.state === 'completing') && u.cosUploadId === cosUploadId;

/** Runs `fn` over `items` with at most `limit` in flight: a page of COS aborts is latency-bound. */
export async function forEachLimited<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await fn(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/** Error code (UploadError) or name, for a log line; never the message, which may carry upstream text. */
export const errorCode = (e: unknown): string => (isUploadError(e) ? e.code : e instanceof Error ? e.name : 'unknown');
