import type { ApiClient, PartRecordBody } from './api-client.ts';

/** Batching policy of {@link PartLedger}. */
export interface LedgerOptions {
  /** Parts per `PUT /parts` call (≤ 1,000). */
  batchSize: number;
  /** Flush once the oldest unrecorded part waited this long. */
  intervalMs: number;
  now: () => number;
}

/**
 * Parts stored in COS but not yet recorded by the API, sent in batches. Recording is what makes a
 * part survive a restart, so batching trades API calls (a 10,000-part upload records in ~10) for
 * the parts a crash may force us to re-send — bounded by `intervalMs`.
 */
export class PartLedger {
  private pending: PartRecordBody[] = [];
  private oldestAt: number | null = null;
  private flushing: Promise<void> | null = null;
  /** Number of record API calls made (for diagnostics and tests). */
  calls = 0;

  private readonly api: ApiClient;
  private readonly uploadId: string;
  private readonly opts: LedgerOptions;

  constructor(api: ApiClient, uploadId: string, opts: LedgerOptions) {
    this.api = api;
    this.uploadId = uploadId;
    this.opts = opts;
  }

  /** Queues a stored part. */
  add(part: PartRecordBody): void {
    if (this.pending.length === 0) this.oldestAt = this.opts.now();
    this.pending.push(part);
  }

  /** Number of parts not yet recorded. */
  get size(): number {
    return this.pending.length;
  }

  /** Flushes when a batch is full or the oldest part waited too long; no-op while a flush runs. */
  async maybeFlush(signal?: AbortSignal): Promise<void> {
    if (this.flushing || this.pending.length === 0) return;
    const full = this.pending.length >= this.opts.batchSize;
    const old = this.oldestAt !== null && this.opts.now() - this.oldestAt >= this.opts.intervalMs;
    if (full || old) await this.flushOnce(signal);
  }

  /** Records everything queued (several calls if more than a batch). */
  async flushAll(signal?: AbortSignal): Promise<void> {
    for (;;) {
      if (this.flushing) {
        await this.flushing.catch(() => {});
        continue;
      }
      if (this.pending.length === 0) return;
      await this.flushOnce(signal);
    }
  }

  /** After a stop: record what we can within `timeoutMs`, never throw (a Ctrl-C must not hang). */
  async flushBestEffort(timeoutMs: number): Promise<void> {
    if (this.pending.length === 0) return;
    const ctl = new AbortController();
    const timer = setTimeout(() => ctl.abort('timeout'), timeoutMs);
    try {
      await this.flushAll(ctl.signal);
    } catch {
      // the parts stay queued; a resume re-sends them
    } finally {
      clearTimeout(timer);
    }
  }

  private flushOnce(signal?: AbortSignal): Promise<void> {
    const batch = this.pending.splice(0, this.opts.batchSize);
    this.oldestAt = this.pending.length > 0 ? this.opts.now() : null;
    this.calls++;
    const run = this.api.recordParts(this.uploadId, batch, signal).then(
      () => {
        this.flushing = null;
      },
      (e: unknown) => {
        // Put the batch back in front so a later flush (or a resume) does not lose it.
        this.pending.unshift(...batch);
        this.oldestAt ??= this.opts.now();
        this.flushing = null;
        throw e;
      },
    );
    this.flushing = run;
    return run;
  }
}
