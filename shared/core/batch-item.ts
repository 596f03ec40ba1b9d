import { isUploadError, UploadError } from '../errors.ts';
import type { Logger } from '../logger.ts';

/**
 * One item of a batch route: its value, or the error the single-item route would have answered
 * with. Items fail independently, so an error is a result here, never a throw.
 */
export type ItemResult<T> = { ok: true; value: T } | { ok: false; error: UploadError };

/** COS calls one batch keeps in flight (Initiate, HEAD, List Parts): 100 items never mean 100 sockets. */
export const BATCH_CONCURRENCY = 8;

/**
 * Runs one item's step. An UploadError is that item's answer; anything else is a bug, logged and
 * answered as an opaque INTERNAL for that item alone: failing the whole batch would hide from the
 * client the uploads the other items already created (they would hold quota until swept).
 */
export async function attempt<T>(log: Logger, step: () => Promise<T>): Promise<ItemResult<T>> {
  try {
    return { ok: true, value: await step() };
  } catch (e) {
    if (isUploadError(e)) {
      if (e.status >= 500) log.warn('batch item failed', { code: e.code, reason: e.details.reason });
      return { ok: false, error: e };
    }
    log.error('batch item failed unexpectedly', { error: e instanceof Error ? e.name : 'unknown' });
    return { ok: false, error: new UploadError(500, 'INTERNAL', 'internal error') };
  }
}

/** An item's error as the answer shows it: the contract's error body (no details on a 5xx, as routes do). */
export const itemError = (e: UploadError) => ({
  error: { code: e.code, message: e.message, details: e.status < 500 ? e.details : {} },
});

/**
 * A batch sent with Idempotency-Key K stores item i's create under `K#i` (create-batch.ts), so a
 * replayed batch finds every item it already made (docs/API.md: the key applies to the whole batch).
 */
export const batchItemKey = (key: string, index: number): string => `${key}#${index}`;
