import type { ApiClient } from './api-client.ts';
import type { BatchLane } from './batch-lane.ts';
import { abortedError, isAbortError, stoppedError, throwIfStopped, UploadClientError } from './errors.ts';
import { apiSettings, HttpApiClient } from './http-api-client.ts';
import { PartLedger } from './ledger.ts';
import { type PartSenderDeps, sendPendingParts } from './part-sender.ts';
import { ProgressTracker } from './progress.ts';
import type { RetryPolicy } from './retry.ts';
import { linkSignals } from './scheduler.ts';
import type { Seams } from './seams.ts';
import { createSession, partsToRepair, resumeSession, type Session, verifyCompletedCrc } from './session.ts';
import { toSource, type UploadInput, type UploadSource } from './sources.ts';
import type { FetchLike, PartUrl, Upload, UploadOptions, UploadProgress } from './types.ts';
import type { UploadTask, UploadTaskStatus } from './upload-task.ts';
import { resumeTarget, validateUploadOptions } from './validate-options.ts';

/** Best-effort ledger flush after a stop must not hang a Ctrl-C for a minute of backoff. */
const FINAL_FLUSH_MS = 10_000;
const PAUSED = 'paused';

/**
 * The {@link UploadTask} behind `createUpload`. Internal: its constructor takes the test seams,
 * which the public factory never passes.
 */
export class UploadRun implements UploadTask {
  readonly done: Promise<Upload>;
  private statusValue: UploadTaskStatus = 'running';
  private session: Session | null = null;
  /**
   * The part URLs create answered with. They sign the COS upload of that moment: a repair after
   * a failed CRC64 check may run on a fresh one, so they are dropped then.
   */
  private presigned: PartUrl[] = [];
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
  private readonly lane: BatchLane | null;

  /**
   * Starts at once; `done` rejects with INVALID_OPTIONS before any request if the options are bad.
   * With a `lane` (the Uppy plugin's), a new session is created, and the upload completed, in
   * batches shared with the other files of that lane.
   */
  constructor(input: UploadInput, options: UploadOptions, seams: Seams = {}, lane: BatchLane | null = null) {
    this.options = options;
    this.lane = lane;
    this.progressTracker = new ProgressTracker(options.onProgress);
    // Validated in main(), so bad options reject `done` rather than throw here.
    const settings = apiSettings(options, seams);
    this.now = settings.now;
    this.retry = settings.retry;
    this.fetchImpl = settings.fetch;
    this.api = new HttpApiClient(settings);
    const stop = linkSignals(options.signal, this.cancel.signal);
    this.stop = stop.controller.signal;
    this.done = Promise.resolve().then(() => this.main(toSource(input)));
    this.finished = this.done.then(stop.dispose, stop.dispose);
    // Callers that only use abort() must not trigger an unhandled rejection.
    this.done.catch(() => {});
  }

  get id(): string | null {
    return this.session?.upload.id ?? null;
  }

  get upload(): Upload | null {
    return this.session?.upload ?? null;
  }

  get status(): UploadTaskStatus {
    return this.statusValue;
  }

  progress(): UploadProgress {
    return this.progressTracker.snapshot();
  }

  pause(): void {
    if (this.statusValue !== 'running' || this.progressTracker.phase === 'assembling') return;
    this.statusValue = 'paused';
    this.runController?.abort(PAUSED);
  }

  resume(): void {
    if (this.statusValue !== 'paused') return;
    this.statusValue = 'running';
    this.wake?.();
  }

  async abort(): Promise<void> {
    if (this.statusValue === 'completed' || this.statusValue === 'failed' || this.statusValue === 'aborted') {
      return this.finished.then(() => this.rethrowDeleteError());
    }
    // Stopped by the caller's signal, the upload was kept for a resume; abort() deletes it still.
    const settled = this.statusValue === 'stopped';
    this.statusValue = 'aborted';
    this.cancel.abort('aborted');
    this.runController?.abort('aborted');
    this.wake?.();
    await this.finished;
    if (settled) await this.deleteSession();
    this.rethrowDeleteError();
  }

  private rethrowDeleteError(): void {
    if (this.deleteError) throw this.deleteError;
  }

  private async main(source: UploadSource): Promise<Upload> {
    try {
      validateUploadOptions(this.options);
      const upload = await this.runSession(source);
      this.statusValue = 'completed';
      return upload;
    } catch (e) {
      if (this.cancel.signal.aborted) {
        await this.deleteSession();
        throw abortedError('aborted');
      }
      if (this.stop.aborted && isAbortError(e)) {
        // However deep the stop surfaced (a fetch's AbortError, a sleep), the caller hears one code.
        this.statusValue = 'stopped';
        throw stoppedError(this.options.signal?.reason);
      }
      this.statusValue = 'failed';
      throw e;
    }
  }

  private async runSession(source: UploadSource): Promise<Upload> {
    const session = await this.openSession(source);
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
        const completed = await this.completeSession(session.upload.id, assembling);
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
        this.presigned = [];
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

  /** Resumes the session the options name, else creates one (keeping the URLs create answered). */
  private async openSession(source: UploadSource): Promise<Session> {
    const signal = this.options.signal;
    const uploadId = resumeTarget(this.options);
    // The create/get call ignores abort() so a session created server-side is known and deleted.
    if (uploadId) return resumeSession(this.api, uploadId, source, signal);
    const { urls, ...session } = await createSession(this.lane ?? this.api, source, this.options, signal);
    this.presigned = urls;
    return session;
  }

  /** Completes through the lane's batch when there is one; a merge already under way is waited on alone. */
  private completeSession(id: string, assembling: boolean): Promise<Upload> {
    const single = () =>
      this.api.complete(id, this.stop, {
        timeoutMs: this.options.completeTimeoutMs,
        onAssembling: () => this.progressTracker.setPhase('assembling'),
      });
    return this.lane && !assembling ? this.lane.complete(id, single, this.stop) : single();
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
      md5: this.options.md5 === true,
      trafficLimit: this.options.trafficLimit,
      presigned: this.presigned,
    };
    for (;;) {
      await this.whilePaused();
      throwIfStopped(this.stop);
      const run = linkSignals(this.stop);
      this.runController = run.controller;
      try {
        await sendPendingParts(deps, session, ledger, run.controller.signal);
        await ledger.flushAll(this.stop);
        return;
      } catch (e) {
        // Whatever stopped us, parts already in COS are worth recording for the next resume.
        await ledger.flushBestEffort(FINAL_FLUSH_MS);
        if (this.stop.aborted) throw stoppedError(this.stop.reason);
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
    this.deleteError = null;
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

/** `createUpload` with test seams (a clock, backoff that does not wait). */
export function startUpload(source: UploadInput, options: UploadOptions, seams: Seams = {}): UploadTask {
  return new UploadRun(source, options, seams);
}
