import { setTimeout as sleep } from 'node:timers/promises';
import type { UploadRow } from './meta-rows.ts';

/**
 * Completions in flight. A merge registers its upload and key from the moment Complete has
 * answered 200 until its commit is in the store; meanwhile the emulator answers as if COS were
 * still assembling the object. COS does not document what other requests see during a merge
 * (436/7742 only says the merge may take minutes); the emulator assumes the least convenient
 * plausible answers:
 * - List Parts, Upload Part, Abort and a second Complete of that upload → 404 NoSuchUpload (a
 *   retried Complete does not join the running merge; it is told the upload is gone);
 * - HEAD / GET of the key → 404 NoSuchKey until the merge ends (even if an older version exists);
 * - List Multipart Uploads still lists the upload (it is not gone until the merge ends).
 * A normal merge commits in the tick that validated it, so only a `slowMerge` fault makes this
 * window observable; the rules are the same for both.
 *
 * A merge does not depend on the request that started it: a client that hangs up mid-merge does
 * not stop it, and the object appears when it ends.
 */

export type CompletionOutcome =
  { ok: true; etag: string; crc64: string; size: number } | { ok: false; code: string; message: string };

/** What a merge's commit returns: the outcome, and blob files that became garbage. */
export interface Committed {
  outcome: CompletionOutcome;
  garbage: readonly string[];
}

const keyOf = (bucket: string, key: string): string => `${bucket}\n${key}`;

export class Merges {
  private readonly uploads = new Set<string>();
  private readonly keys = new Map<string, number>();
  private readonly running = new Set<Promise<unknown>>();
  /** Aborted by close(): pending slow merges skip the rest of their wait and commit at once. */
  private readonly hurry = new AbortController();

  private readonly removeBlobs: (ids: readonly string[]) => Promise<void>;

  constructor(removeBlobs: (ids: readonly string[]) => Promise<void>) {
    this.removeBlobs = removeBlobs;
  }

  /** True while a merge of this upload has not committed. */
  has(uploadId: string): boolean {
    return this.uploads.has(uploadId);
  }

  /** True while some merge that will write this key has not committed. */
  hidesKey(bucket: string, key: string): boolean {
    return this.keys.has(keyOf(bucket, key));
  }

  /**
   * Runs a merge: waits `delayMs` (0: none — the commit then runs synchronously, in the caller's
   * tick), commits, then deletes the garbage. The caller must have checked `has()` first.
   */
  start(upload: UploadRow, delayMs: number, commit: () => Committed): Promise<CompletionOutcome> {
    const id = upload.uploadId;
    const k = keyOf(upload.bucket, upload.key);
    this.uploads.add(id);
    this.keys.set(k, (this.keys.get(k) ?? 0) + 1);
    const release = () => {
      this.uploads.delete(id);
      const n = (this.keys.get(k) ?? 1) - 1;
      if (n > 0) this.keys.set(k, n);
      else this.keys.delete(k);
    };
    const merge = (async (): Promise<CompletionOutcome> => {
      let committed: Committed;
      try {
        if (delayMs > 0 && !this.hurry.signal.aborted) {
          await sleep(delayMs, undefined, { signal: this.hurry.signal }).catch(() => {});
        }
        committed = commit();
      } finally {
        release();
      }
      await this.removeBlobs(committed.garbage);
      return committed.outcome;
    })();
    this.running.add(merge);
    void merge.finally(() => this.running.delete(merge)).catch(() => {});
    return merge;
  }

  /** For close(): every pending merge commits now, and this resolves when all have ended. */
  async finishAll(): Promise<void> {
    this.hurry.abort();
    await Promise.allSettled([...this.running]);
  }
}
