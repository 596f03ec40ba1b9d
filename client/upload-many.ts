import type { Seams } from './seams.ts';
import { linkSignals } from './scheduler.ts';
import type { UploadInput } from './sources.ts';
import type { UploadManyItem, UploadManyOptions, UploadManyResult } from './upload-many-types.ts';
import { ManyRun } from './upload-many-run.ts';

/**
 * Uploads many files — a folder, a phone's new photos — and resolves with one result per input,
 * in input order: `completed`, `skipped` (with `skipExisting`, the server already had it) or
 * `failed` with its error. One file failing never stops the others; the promise itself rejects
 * only for bad options (`INVALID_OPTIONS`).
 *
 * Round trips, not bytes, are the cost of small files on a mobile link, so sessions are created
 * 100 at a time (`POST /v1/uploads/batch`, each answer carrying part 1's presigned URL: a small
 * file is one PUT), and finished files are completed 100 at a time (`batch-complete`) — about 20
 * API calls for 1,000 small files instead of 3,000. Large files in the set get their other part
 * URLs and ledger records as {@link upload} does. `concurrency` counts part PUTs in flight across
 * the whole set. Retryable failures are retried with backoff as in the one-file path; each batch
 * create carries an `Idempotency-Key`, the same on its retries, so a lost answer opens nothing
 * twice.
 *
 * ```ts
 * const results = await uploadMany(files, { baseUrl, getToken, skipExisting: true,
 *   onProgress: (p) => show(`${p.filesDone}/${p.filesTotal}`) });
 * const failed = results.filter((r) => r.state === 'failed');
 * ```
 */
export function uploadMany(
  sources: readonly (UploadInput | UploadManyItem)[],
  options: UploadManyOptions,
): Promise<UploadManyResult[]> {
  return runUploadMany(sources, options);
}

/** {@link uploadMany} with test seams (a clock, backoff that does not wait). */
export async function runUploadMany(
  sources: readonly (UploadInput | UploadManyItem)[],
  options: UploadManyOptions,
  seams: Seams = {},
): Promise<UploadManyResult[]> {
  const stop = linkSignals(options.signal);
  try {
    return await new ManyRun(sources, options, seams, stop.controller.signal).run();
  } finally {
    stop.dispose();
  }
}
