import type { CreateAnswer, CreateUploadBody } from './api-client.ts';
import { BATCH_MAX, batchCreate, idempotencyKey } from './batch-api.ts';
import { BatchCompleter } from './batch-completer.ts';
import { stoppedError, UploadClientError } from './errors.ts';
import type { HttpApiClient } from './http-api-client.ts';
import type { Upload } from './types.ts';

/** When {@link BatchLane} sends its completes. */
export interface BatchLaneOptions {
  /** Send the completes at once when this many wait (e.g. every file that can be uploading). */
  flushAt: number;
  /** Else the first waits at most this long for company. */
  completeDelayMs: number;
}

interface QueuedCreate {
  body: CreateUploadBody;
  resolve: (answer: CreateAnswer) => void;
  reject: (e: unknown) => void;
}

/** A BatchCompleter here is never stopped as a whole: each file stops its own wait. */
const NEVER = new AbortController().signal;

/**
 * Lets files that start together share API calls (the Uppy plugin's): creates asked for in the
 * same tick go out as one `POST /v1/uploads/batch` (with an `Idempotency-Key`, so a retried call
 * cannot open the sessions twice), and completes of files whose bytes end together as one
 * `POST /v1/uploads/batch-complete` ({@link BatchCompleter}). Each caller hears what the
 * single-file call would have told it: its upload and URLs, or its item's error as an
 * {@link UploadClientError} with the status that call would have had. Internal: `UploadRun` takes
 * it through its constructor.
 */
export class BatchLane {
  private creates: QueuedCreate[] = [];
  /** False once the server turned out not to have the batch create route: creates go one by one. */
  private batchRoute = true;
  private readonly singles = new Map<string, () => Promise<Upload>>();
  private readonly completer: BatchCompleter;
  private readonly api: HttpApiClient;

  constructor(api: HttpApiClient, options: BatchLaneOptions) {
    this.api = api;
    const flushAt = Math.max(1, Math.min(BATCH_MAX, options.flushAt));
    this.completer = new BatchCompleter(
      api,
      { batchSize: BATCH_MAX, flushAt: () => flushAt, delayMs: options.completeDelayMs, signal: NEVER },
      (id) => this.singles.get(id)?.() ?? api.complete(id),
    );
  }

  /**
   * `POST /v1/uploads` for `body`, sent in the batch of every create asked for in this tick. It
   * takes no signal: the call serves other files too, and a session it opens for a file that
   * stopped meanwhile is still handed over, to be kept or deleted like any other.
   */
  createWithUrls(body: CreateUploadBody): Promise<CreateAnswer> {
    if (!this.batchRoute) return this.api.createWithUrls(body);
    return new Promise((resolve, reject) => {
      // A macrotask, not a microtask: each file reaches its create several awaits after its start.
      if (this.creates.push({ body, resolve, reject }) === 1) setTimeout(() => this.flushCreates(), 0);
    });
  }

  /**
   * Completes `id` in a batch; `single` is that file's own complete, used when the batch cannot
   * finish it (still merging, a retryable failure, no batch route). Rejects with `STOPPED` as soon
   * as `signal` fires, as the single call would.
   */
  complete(id: string, single: () => Promise<Upload>, signal: AbortSignal): Promise<Upload> {
    this.singles.set(id, single);
    const done = this.completer.add(id);
    const forget = () => void this.singles.delete(id);
    done.then(forget, forget);
    return untilStopped(done, signal);
  }

  private flushCreates(): void {
    const queued = this.creates;
    this.creates = [];
    for (let at = 0; at < queued.length; at += BATCH_MAX) void this.sendCreates(queued.slice(at, at + BATCH_MAX));
  }

  private async sendCreates(queued: QueuedCreate[]): Promise<void> {
    let results;
    try {
      results = await batchCreate(
        this.api,
        queued.map((q) => q.body),
        idempotencyKey(),
      );
    } catch (e) {
      // A server without the route (404/405) opened nothing: create one by one from now on.
      const missing = e instanceof UploadClientError && (e.status === 404 || e.status === 405);
      if (missing) this.batchRoute = false;
      for (const q of queued) {
        if (missing) this.api.createWithUrls(q.body).then(q.resolve, q.reject);
        else q.reject(e);
      }
      return;
    }
    results.forEach((r, i) => {
      const q = queued[i]!;
      if (r.ok) q.resolve({ upload: r.upload, urls: r.urls, deduplicated: r.deduplicated });
      // A transient failure of this item opened nothing: the single create retries it with backoff.
      else if (r.error.retryable) this.api.createWithUrls(q.body).then(q.resolve, q.reject);
      else q.reject(r.error);
    });
  }
}

/** `done`, or `STOPPED` once `signal` fires (`done` goes on, and its outcome is ignored). */
function untilStopped<T>(done: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(stoppedError(signal.reason));
  return new Promise<T>((resolve, reject) => {
    const onStop = () => reject(stoppedError(signal.reason));
    signal.addEventListener('abort', onStop, { once: true });
    done.finally(() => signal.removeEventListener('abort', onStop)).then(resolve, reject);
  });
}
