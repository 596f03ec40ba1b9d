import { batchComplete } from './batch-api.ts';
import { isAbortError } from './errors.ts';
import type { HttpApiClient } from './http-api-client.ts';
import type { Upload } from './types.ts';

/** When {@link BatchCompleter} sends: a full batch at once, else the oldest waits at most `delayMs`. */
export interface CompleterOptions {
  batchSize: number;
  /** Send as soon as this many wait (≤ batchSize; default batchSize); asked at every add. */
  flushAt?: () => number;
  delayMs: number;
  /** Stops batches not yet sent (their files then reject with the stop). */
  signal: AbortSignal;
}

/** How long the completes sent after a stop may take. */
const FINAL_MS = 10_000;

interface Waiter {
  id: string;
  resolve: (u: Upload) => void;
  reject: (e: unknown) => void;
}

/**
 * Files whose bytes are all in COS wait here for `POST /v1/uploads/batch-complete`, so 1,000 small
 * files cost ~10 completes rather than 1,000. An item still `completing` (202: COS is merging), an
 * item that failed retryably, and every item of a batch call that failed outright go through the
 * single-file `complete` — which polls a 202 and retries like the one-file path does.
 */
export class BatchCompleter {
  private queue: Waiter[] = [];
  private timer: ReturnType<typeof setTimeout> | null = null;
  /** Number of batch-complete calls made (for diagnostics and tests). */
  calls = 0;
  private delayMs: number;

  private readonly api: HttpApiClient;
  private readonly opts: CompleterOptions;
  private readonly single: (id: string) => Promise<Upload>;

  constructor(api: HttpApiClient, opts: CompleterOptions, single: (id: string) => Promise<Upload>) {
    this.api = api;
    this.opts = opts;
    this.single = single;
    this.delayMs = opts.delayMs;
    // A stop (Ctrl-C) still completes the files whose bytes are all in COS, so the next run has
    // less to do; within FINAL_MS, whatever the stop says.
    opts.signal.addEventListener('abort', () => this.flushAll(), { once: true });
  }

  /** Queues `id`; resolves with the completed upload (rejects as `complete` would). */
  add(id: string): Promise<Upload> {
    const done = new Promise<Upload>((resolve, reject) => this.queue.push({ id, resolve, reject }));
    if (this.queue.length >= (this.opts.flushAt?.() ?? this.opts.batchSize)) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), this.delayMs);
    return done;
  }

  /**
   * The set's last files are being sent: wait a quarter as long from now on, so the final batch
   * is small and its complete overlaps the last PUTs instead of following them.
   */
  hurry(): void {
    this.delayMs = Math.min(this.delayMs, Math.ceil(this.opts.delayMs / 4));
  }

  /** Sends what is queued now: nothing else will join soon (no file is still sending). */
  drain(): void {
    if (this.queue.length > 0) this.flush();
  }

  private flushAll(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    while (this.queue.length > 0) void this.send(this.queue.splice(0, this.opts.batchSize));
  }

  private flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, this.opts.batchSize);
      void this.send(batch);
      // What is left is less than a batch: it waits for company, or the timer.
      if (this.queue.length < this.opts.batchSize) break;
    }
    if (this.queue.length > 0) this.timer = setTimeout(() => this.flush(), this.delayMs);
  }

  private async send(batch: Waiter[]): Promise<void> {
    const signal = this.opts.signal.aborted ? timeoutSignal(FINAL_MS) : this.opts.signal;
    this.calls++;
    let results;
    try {
      results = await batchComplete(
        this.api,
        batch.map((w) => w.id),
        signal,
      );
    } catch (e) {
      if (isAbortError(e) || signal.aborted) {
        for (const w of batch) w.reject(e);
        return;
      }
      // The call itself failed (an older server without the route, retries spent): one by one.
      for (const w of batch) this.single(w.id).then(w.resolve, w.reject);
      return;
    }
    results.forEach((r, i) => {
      const w = batch[i]!;
      if (r.ok && r.upload.state === 'completed') w.resolve(r.upload);
      else if (r.ok || r.error.retryable) this.single(w.id).then(w.resolve, w.reject);
      else w.reject(r.error);
    });
  }
}

/** `AbortSignal.timeout` is missing in React Native and older browsers. */
function timeoutSignal(ms: number): AbortSignal {
  const c = new AbortController();
  setTimeout(() => c.abort('timeout'), ms);
  return c.signal;
}
