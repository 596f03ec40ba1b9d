import { ApiClient } from './api-client.ts';
import { abortedError, throwIfAborted, UploadClientError } from './errors.ts';
import { PartLedger } from './ledger.ts';
import { type PartSenderDeps, sendPendingParts } from './part-sender.ts';
import { ProgressTracker } from './progress.ts';
import { type RetryPolicy, retryPolicy } from './retry.ts';
import { linkSignals } from './scheduler.ts';
import { createSession, partsToRepair, resumeSession, type Session, verifyCompletedCrc } from './session.ts';
import { toSource, type UploadInput, type UploadSource } from './sources.ts';
import type { FetchLike, Upload, UploadOptions, UploadProgress } from './types.ts';
import { validateOptions } from './validate-options.ts';

/** Where an {@link UploadTask} stands. */
/** `stopped` = halted by the caller's `signal` (the session stays resumable); `aborted` = deleted. */
export type UploadTaskStatus = 'running' | 'paused' | 'completed' | 'failed' | 'stopped' | 'aborted';

/** Internal seams for tests: time and backoff without waiting. */
export interface TaskInternals {
  now?: () => number;
  retry?: Partial<RetryPolicy>;
}

/** Best-effort ledger flush after a stop must not hang a Ctrl-C for a minute of backoff. */
const FINAL_FLUSH_MS = 10_000;
const PAUSED = 'paused';

/**
 * A running upload with pause/resume/abort. Create it with {@link createUpload}; await `done` for
 * the completed upload object.
 */
export class UploadTask {
  /** Resolves with the completed upload; rejects with an {@link UploadClientError}. */
  readonly done: Promise<Upload>;
  private statusValue: UploadTaskStatus = 'running';
  private session: Session | null = null;
  private readonly progressTracker: ProgressTracker;
  private readonly cancel = new AbortController();
  /** Fires on abort() or the caller's signal — everything but pause. */
  private readonly stop: AbortSignal;
  private runController: AbortController | null = null;
  private wake: (() => void) | null = null;
  private finished: Promise<void>;
  private deleteError: unknown = null;

  private readonly options: UploadOptions;
  private readonly api: ApiClient;
  private readonly fetchImpl: FetchLike;
  private readonly retry: RetryPolicy;
  private readonly now: () => number;

  /** Use {@link createUpload}. */
  constructor(input: UploadInput, options: UploadOptions, internals: TaskInternals = {}) {
    this.options = options;
    this.progressTracker = new ProgressTracker(options.onProgress);
    this.now = internals.now ?? Date.now;
    this.retry = retryPolicy(options.retry, internals.retry);
    this.fetchImpl = options.fetch ?? ((url, init) => fetch(url, init));
    this.api = new ApiClient({ ...options, fetch: this.fetchImpl, retry: this.retry, now: this.now });
    const stop = linkSignals(options.signal, this.cancel.signal);
    this.stop = stop.controller.signal;
    this.done = Promise.resolve().then(() => this.main(toSource(input)));
    this.finished = this.done.then(stop.dispose, stop.dispose);
    // Callers that only use abort() must not trigger an unhandled rejection.
    this.done.catch(() => {});
  }

  /** The upload id once the session exists (persist it to resume after a restart). */
  get id(): string | null {
    return this.session?.upload.id ?? null;
  }

  /** The session as last seen from the API. */
  get upload(): Upload | null {
    return this.session?.upload ?? null;
  }

  get status(): UploadTaskStatus {
    return this.statusValue;
  }

  /** Current progress. */
  progress(): UploadProgress {
    return this.progressTracker.snapshot();
  }

  /**
   * Stops sending (in-flight part PUTs are cancelled and re-sent on resume). While COS assembles
   * the object (`phase: 'assembling'`) nothing is being sent, so there is nothing to pause: a no-op.
   */
  pause(): void {
    if (this.statusValue !== 'running' || this.progressTracker.phase === 'assembling') return;
    this.statusValue = 'paused';
    this.runController?.abort(PAUSED);
  }

  /** Continues a paused upload. */
  resume(): void {
    if (this.statusValue !== 'paused') return;
    this.statusValue = 'running';
    this.wake?.();
  }

  /**
   * Cancels for good: stops sending and deletes the session (DELETE /v1/uploads/{id}). While COS
   * assembles the object the API refuses the delete (409 `UPLOAD_NOT_OPEN`): this then rejects with
   * that error, and the upload completes server-side.
   */
  async abort(): Promise<void> {
    if (this.statusValue === 'completed' || this.statusValue === 'failed') return;
    this.statusValue = 'aborted';
    this.cancel.abort('aborted');
    this.runController?.abort('aborted');
    this.wake?.();
    await this.finished;
    if (this.deleteError) throw this.deleteError;
  }

  private async main(source: UploadSource): Promise<Upload> {
    try {
      validateOptions(this.options);
      const upload = await this.runSession(source);
      this.statusValue = 'completed';
      return upload;
    } catch (e) {
      if (this.cancel.signal.aborted) {
        await this.deleteSession();
        throw abortedError('aborted');
      }
      if (this.statusValue !== 'aborted') this.statusValue = this.stop.aborted ? 'stopped' : 'failed';
      throw e;
    }
  }

  private async runSession(source: UploadSource): Promise<Upload> {
    const signal = this.options.signal;
    // The create/get call ignores abort() so a session created server-side is known and deleted.
    const session = this.options.resume
      ? await resumeSession(this.api, this.options.resume, source, signal)
      : await createSession(this.api, source, this.options, signal);
    this.session = session;
    this.options.onUploadCreated?.(session.upload);
    const total = session.slots.reduce((sum, s) => sum + (s.end - s.start), 0);
    this.progressTracker.plan(total, session.slots.length);
    if (session.upload.state === 'completed') {
      for (const s of session.slots) this.progressTracker.partDone(s.end - s.start, true);
      return session.upload;
    }
    // Resumed while COS assembles it: nothing may be sent (no URLs for a completing upload); wait.
    let assembling = session.upload.state === 'completing';
    if (assembling) {
      this.progressTracker.allStored();
      this.progressTracker.setPhase('assembling');
    }
    const ledger = new PartLedger(this.api, session.upload.id, {
      batchSize: this.options.recordBatchSize ?? 1000,
      intervalMs: this.options.recordIntervalMs ?? 20_000,
      now: this.now,
    });
    let repaired = false;
    for (;;) {
      if (!assembling) await this.sendParts(source, session, ledger);
      try {
        const completed = await this.api.complete(session.upload.id, this.stop, {
          timeoutMs: this.options.completeTimeoutMs,
          onAssembling: () => this.progressTracker.setPhase('assembling'),
        });
        session.upload = completed;
        verifyCompletedCrc(session);
        return completed;
      } catch (e) {
        // A failed background assembly reopened the upload (perhaps with a fresh COS upload id).
        if (e instanceof UploadClientError && e.upload) session.upload = e.upload;
        const repair =
          e instanceof UploadClientError && e.code === 'PARTS_INVALID'
            ? partsToRepair(e.details, session.slots.length)
            : [];
        if (repaired || repair.length === 0) throw e;
        // The ledger and COS disagree (a part lost or overwritten, or the object failed its CRC64
        // and the server started over): send those parts once more. Their ledger records are
        // void too, or a resume-time record would skip them again.
        repaired = true;
        for (const slot of session.slots) {
          if (!repair.includes(slot.partNumber)) continue;
          slot.recorded = null;
          if (!slot.done) continue;
          slot.done = null;
          this.progressTracker.partUndone(slot.end - slot.start);
        }
        // Parts counted as stored without being checked are checked (or sent) now.
        if (assembling) this.progressTracker.plan(this.progressTracker.snapshot().totalBytes, session.slots.length);
        assembling = false;
        this.progressTracker.setPhase('uploading');
      }
    }
  }

  /** Sends every part not yet done; survives pause/resume; records the ledger on the way out. */
  private async sendParts(source: UploadSource, session: Session, ledger: PartLedger): Promise<void> {
    const deps: PartSenderDeps = {
      api: this.api,
      fetch: this.fetchImpl,
      retry: this.retry,
      source,
      progress: this.progressTracker,
      now: this.now,
      concurrency: this.options.concurrency ?? 4,
      urlBatchSize: this.options.urlBatchSize ?? 1000,
      urlExpiryMarginMs: this.options.urlExpiryMarginMs ?? 60_000,
    };
    for (;;) {
      await this.whilePaused();
      throwIfAborted(this.stop);
      const run = linkSignals(this.stop);
      this.runController = run.controller;
      try {
        await sendPendingParts(deps, session, ledger, run.controller.signal);
        await ledger.flushAll(this.stop);
        return;
      } catch (e) {
        // Whatever stopped us, parts already in COS are worth recording for the next resume.
        await ledger.flushBestEffort(FINAL_FLUSH_MS);
        if (this.stop.aborted) throw abortedError(this.stop.reason);
        // Paused (and perhaps already resumed): whilePaused() decides whether to wait.
        if (run.controller.signal.reason === PAUSED) continue;
        throw e;
      } finally {
        run.dispose();
        this.runController = null;
      }
    }
  }

  private async deleteSession(): Promise<void> {
    const id = this.session?.upload.id;
    if (!id) return;
    try {
      await this.api.abort(id);
    } catch (e) {
      this.deleteError = e;
    }
  }

  private whilePaused(): Promise<void> {
    if (this.statusValue !== 'paused') return Promise.resolve();
    return new Promise((resolve) => {
      const wake = () => {
        this.wake = null;
        this.stop.removeEventListener('abort', wake);
        resolve();
      };
      this.wake = wake;
      this.stop.addEventListener('abort', wake, { once: true });
    });
  }
}

/**
 * Starts an upload and returns its controller. `source` is a Blob/File, a Uint8Array or an
 * `UploadSource` (in Node, `fileSource(path)` from `client/node-source.ts`).
 */
export function createUpload(source: UploadInput, options: UploadOptions, internals?: TaskInternals): UploadTask {
  return new UploadTask(source, options, internals);
}
