import { BATCH_MAX, type BatchCreateBody, batchCreate, idempotencyKey } from './batch-api.ts';
import { BatchCompleter } from './batch-completer.ts';
import { isAbortError, stoppedError, UploadClientError } from './errors.ts';
import { apiSettings, HttpApiClient } from './http-api-client.ts';
import { PartLedger } from './ledger.ts';
import { ManyProgress } from './many-progress.ts';
import { sendPendingParts } from './part-sender.ts';
import { partRanges } from './part-plan.ts';
import { ProgressTracker } from './progress.ts';
import { backoffDelay, type RetryPolicy } from './retry.ts';
import { linkSignals } from './scheduler.ts';
import type { Seams } from './seams.ts';
import { objectFields } from './object-headers.ts';
import { fetchServerLimits, type ServerLimits } from './server-limits.ts';
import { presignCount, resumeSession, type Session, sourceCrc64, verifyCompletedCrc } from './session.ts';
import { SlotPool } from './slot-pool.ts';
import { toSource, type UploadSource } from './sources.ts';
import type { FetchLike, PartUrl, Upload, UploadOptions } from './types.ts';
import type { UploadManyItem, UploadManyOptions, UploadManyResult } from './upload-many-types.ts';
import { resolveBaseUrl, validateUploadOptions } from './validate-options.ts';

interface File {
  index: number;
  source: UploadSource;
  item: UploadManyItem;
  /** Batch-create attempts that failed retryably. */
  attempts: number;
}

/** A file with a session, waiting for a worker. */
interface Ready {
  file: File;
  upload: Upload | null;
  urls: PartUrl[];
}

/** Sessions in the first batch create: enough to fill the pool a couple of times over. */
const FIRST_BATCH = 16;

/** The open-session budget when neither the options nor the server say: the server's default quota. */
const DEFAULT_MAX_OPEN = 100;

/**
 * The share of the open-session budget one batch (of creates, of completes) may take. The rest
 * keeps the PUTs going while a batch complete and the batch create after it make their round trips.
 */
const BATCH_SHARE = 0.5;

const isItem = (x: unknown): x is UploadManyItem =>
  typeof x === 'object' && x !== null && 'source' in x && !('read' in x) && !(x instanceof Uint8Array);

/**
 * The engine of `uploadMany`: a producer creates sessions in batches (never more open at once
 * than `maxOpenUploads`), `concurrency` workers send files, every part of every file runs through
 * one {@link SlotPool}, and finished files are completed in batches.
 */
export class ManyRun {
  readonly results: (UploadManyResult | undefined)[];
  private readonly files: File[];
  private readonly ready: Ready[] = [];
  private producing = true;
  /** Files with a session and no result yet. */
  private readonly open = new Set<number>();
  /** The open sessions the server allowed us when it last refused one (its quota), else none. */
  private learnedLimit = Number.POSITIVE_INFINITY;
  /** The owner's quota as `GET /v1/limits` says (the profile's when it has one); null until read. */
  private serverQuota: number | null = null;
  private sending = 0;
  private wake: (() => void)[] = [];
  private readonly api: HttpApiClient;
  private readonly retry: RetryPolicy;
  private readonly fetchImpl: FetchLike;
  private readonly now: () => number;
  private readonly pool: SlotPool;
  private readonly progress: ManyProgress;
  private readonly stop: AbortSignal;
  private readonly completer: BatchCompleter;
  private readonly batchSize: number;
  private readonly pending: Promise<void>[] = [];

  private readonly options: UploadManyOptions;

  constructor(
    inputs: readonly (UploadManyItem | UploadManyItem['source'])[],
    options: UploadManyOptions,
    seams: Seams,
    signal: AbortSignal,
  ) {
    validate(options);
    this.options = options;
    const settings = apiSettings(options, seams);
    this.api = new HttpApiClient(settings);
    this.retry = settings.retry;
    this.fetchImpl = settings.fetch;
    this.now = settings.now;
    this.stop = signal;
    this.files = inputs.map((input, index) => {
      const item = isItem(input) ? input : { source: input };
      return { index, item, source: toSource(item.source), attempts: 0 };
    });
    this.results = this.files.map(() => undefined);
    this.pool = new SlotPool(options.concurrency ?? 4);
    this.batchSize = options.batchSize ?? BATCH_MAX;
    this.progress = new ManyProgress(
      this.files.map((f) => f.source.size),
      options.onProgress,
    );
    this.completer = new BatchCompleter(
      this.api,
      {
        batchSize: this.batchSize,
        flushAt: () => this.share(),
        delayMs: options.completeDelayMs ?? 3000,
        signal,
      },
      (id) => this.api.complete(id, signal, { timeoutMs: options.completeTimeoutMs }),
    );
  }

  async run(): Promise<UploadManyResult[]> {
    for (const f of this.files) if (f.item.uploadId) this.ready.push({ file: f, upload: null, urls: [] });
    const toCreate = this.files.filter((f) => !f.item.uploadId);
    const workers = Array.from({ length: Math.max(1, this.options.concurrency ?? 4) }, () => this.work());
    await Promise.all([this.readQuota(toCreate.length).then(() => this.produce(toCreate)), ...workers]);
    this.completer.drain();
    // Stopped before a worker took them: their sessions exist, so a resume can use them.
    for (const r of this.ready.splice(0)) this.finish(r.file, r.upload, stoppedError(this.stop.reason));
    await Promise.all(this.pending);
    return this.files.map((f) => this.results[f.index] ?? this.finish(f, null, stoppedError(this.stop.reason)));
  }

  /**
   * Without `maxOpenUploads`, the budget is the owner's quota as the server reports it (one
   * `GET /v1/limits`, read before the first create, so not even the first batch crosses a small
   * quota; files being resumed are sent meanwhile): a server that allows more open uploads than
   * its default lets the set go in fuller batches, so fewer calls. Unreadable (an older server, a
   * network failure): the default quota, and what a refusal teaches.
   */
  private async readQuota(creates: number): Promise<void> {
    // A set that fits in one batch share of the default budget is planned the same whatever the
    // quota (a smaller one is learned from the refusal): one small file stays at 2 calls.
    if (this.options.maxOpenUploads !== undefined || creates <= Math.round(DEFAULT_MAX_OPEN * BATCH_SHARE)) return;
    const limits = await fetchServerLimits({
      endpoint: resolveBaseUrl(this.options),
      fetch: this.fetchImpl,
      signal: this.stop,
    });
    this.serverQuota = quotaOf(limits, this.options.profile);
    this.notify();
  }

  /** Sessions this run may hold open now. */
  private budget(): number {
    return Math.min(this.options.maxOpenUploads ?? this.serverQuota ?? DEFAULT_MAX_OPEN, this.learnedLimit);
  }

  /** Files per batch create and per batch complete under the budget. */
  private share(): number {
    return Math.max(1, Math.min(this.batchSize, Math.round(this.budget() * BATCH_SHARE)));
  }

  /** Creates sessions batch by batch, as room under the open-session budget frees up. */
  private async produce(queue: File[]): Promise<void> {
    let first = true;
    try {
      while (queue.length > 0 && !this.stop.aborted) {
        // Ahead of the workers by at most a batch, and never past the open-session budget.
        // Under the budget, wait for room for a batch's share (or the rest) rather than creating
        // in dribbles as single sessions free up — unless the workers have run dry.
        const want = () => Math.min(queue.length, this.share());
        await this.until(
          () =>
            this.stop.aborted ||
            (this.ready.length < this.batchSize &&
              (this.budget() - this.open.size >= want() ||
                (this.open.size < this.budget() && this.ready.length === 0 && this.sending === 0))),
        );
        if (this.stop.aborted) break;
        // The first batch is small so the first PUTs start after a short create, not a full one;
        // the next (full) batch is created while they run.
        const size = first ? Math.min(this.batchSize, FIRST_BATCH) : this.batchSize;
        first = false;
        const batch = queue.splice(0, Math.min(size, this.budget() - this.open.size));
        await this.createBatch(batch, queue);
      }
    } finally {
      this.producing = false;
      // Nothing more will be created: finished files stop waiting for company as long.
      this.completer.hurry();
      this.notify();
    }
  }

  private async createBatch(batch: File[], queue: File[]): Promise<void> {
    let results;
    try {
      const bodies: BatchCreateBody[] = [];
      for (const f of batch) bodies.push(await this.body(f));
      results = await batchCreate(this.api, bodies, idempotencyKey(), this.stop);
    } catch (e) {
      if (!(isAbortError(e) && this.stop.aborted)) for (const f of batch) this.finish(f, null, e);
      return;
    }
    let retryAfter = -1;
    let quotaHit = false;
    const again: File[] = [];
    results.forEach((r, i) => {
      const f = batch[i]!;
      if (r.ok && r.deduplicated) {
        this.finish(f, r.upload, null, 'skipped');
      } else if (r.ok) {
        this.open.add(f.index);
        this.options.onUploadCreated?.(r.upload, f.index);
        this.ready.push({ file: f, upload: r.upload, urls: r.urls });
      } else {
        if (r.error.code === 'TOO_MANY_OPEN_UPLOADS' && this.open.size > 0) {
          // The quota, taken by our own sessions: this file waits until one of them completes.
          quotaHit = true;
          again.push(f);
        } else if (r.error.retryable && f.attempts < this.retry.retries) {
          retryAfter = Math.max(retryAfter, f.attempts++);
          again.push(f);
        } else {
          this.finish(f, null, r.error);
        }
      }
    });
    queue.unshift(...again);
    // Items are refused in order past the quota, so what we hold now is what the server allows.
    if (quotaHit) this.learnedLimit = Math.max(1, this.open.size);
    this.notify();
    if (retryAfter >= 0) await this.retry.sleep(backoffDelay(retryAfter, this.retry), this.stop).catch(() => {});
  }

  private async body(f: File): Promise<BatchCreateBody> {
    // Every file of the set gets the same object headers (the server sets them at Initiate).
    const { item, source } = f;
    const metadata = item.metadata ?? this.options.metadata;
    const { partSize } = this.options;
    const body: BatchCreateBody = {
      fileName: item.fileName ?? source.name ?? 'upload.bin',
      size: source.size,
      contentType: item.contentType ?? this.options.contentType ?? source.type ?? 'application/octet-stream',
      ...(metadata ? { metadata } : {}),
      ...(partSize ? { partSize } : {}),
      ...objectFields(this.options),
      // Part 1's URL comes with the session: a small file then needs no part-urls call at all.
      presign: presignCount(source.size, this.options),
    };
    if (this.options.skipExisting) Object.assign(body, { crc64: await sourceCrc64(source, this.stop), dedupe: true });
    return body;
  }

  private async work(): Promise<void> {
    for (;;) {
      await this.until(() => this.stop.aborted || this.ready.length > 0 || !this.producing);
      const next = this.stop.aborted ? undefined : this.ready.shift();
      if (!next) return;
      this.notify();
      this.sending++;
      try {
        await this.sendFile(next);
      } finally {
        this.sending--;
        // No file is still sending: whatever waits for a batch complete will get no company soon.
        if (this.sending === 0) this.completer.drain();
      }
    }
  }

  /** Sends one file's parts; its complete is queued, and the worker moves on at once. */
  private async sendFile({ file, upload, urls }: Ready): Promise<void> {
    let session: Session | null = null;
    try {
      if (upload) {
        session = { upload, slots: partRanges(upload).map((r) => ({ ...r, recorded: null, done: null })) };
      } else {
        this.open.add(file.index);
        session = await resumeSession(this.api, file.item.uploadId!, file.source, this.stop);
        this.options.onUploadCreated?.(session.upload, file.index);
      }
      const s = session;
      if (s.upload.state === 'completed') return void this.finish(file, s.upload, null);
      if (s.upload.state === 'open') await this.sendParts(file, s, urls);
      const done =
        s.upload.state === 'completing' ? this.api.complete(s.upload.id, this.stop) : this.completer.add(s.upload.id);
      this.pending.push(
        done
          .then(
            (u) => {
              s.upload = u;
              verifyCompletedCrc(s);
              this.finish(file, u, null);
            },
            (e: unknown) => void this.finish(file, e instanceof UploadClientError && e.upload ? e.upload : s.upload, e),
          )
          .catch((e: unknown) => void this.finish(file, s.upload, e)),
      );
    } catch (e) {
      this.finish(file, session?.upload ?? null, e);
    }
  }

  private async sendParts(file: File, session: Session, presigned: PartUrl[]): Promise<void> {
    const o = this.options;
    const ledger = new PartLedger(this.api, session.upload.id, {
      batchSize: o.recordBatchSize ?? 1000,
      intervalMs: o.recordIntervalMs ?? 20_000,
      now: this.now,
    });
    const tracker = new ProgressTracker((p) => this.progress.file(file.index, p.bytesSent, p.resumedBytes));
    tracker.plan(file.source.size, session.slots.length);
    const run = linkSignals(this.stop);
    try {
      await sendPendingParts(
        {
          api: this.api,
          fetch: this.fetchImpl,
          retry: this.retry,
          source: file.source,
          progress: tracker,
          now: this.now,
          concurrency: o.concurrency ?? 4,
          urlBatchSize: o.urlBatchSize ?? 1000,
          urlExpiryMarginMs: o.urlExpiryMarginMs ?? 60_000,
          md5: o.md5 === true,
          trafficLimit: o.trafficLimit,
          presigned,
          gate: this.pool.run,
        },
        session,
        ledger,
        run.controller.signal,
      );
      await ledger.flushAll(this.stop);
    } catch (e) {
      // Parts already in COS are worth recording for a resume by uploadId.
      await ledger.flushBestEffort(10_000);
      throw e;
    } finally {
      run.dispose();
    }
  }

  /** Records a file's result once; a later call for the same file is ignored. */
  private finish(
    f: File,
    upload: Upload | null,
    error: unknown,
    ok: 'completed' | 'skipped' = 'completed',
  ): UploadManyResult {
    const known = this.results[f.index];
    if (known) return known;
    this.open.delete(f.index);
    const result: UploadManyResult =
      error === null
        ? { index: f.index, state: ok, upload: upload! }
        : { index: f.index, state: 'failed', error: toClientError(error, this.stop), upload };
    this.results[f.index] = result;
    this.progress.fileDone(f.index, result.state, f.source.size);
    try {
      this.options.onFileDone?.(result);
    } catch {
      // a reporter's bug must not change what the upload does
    }
    this.notify();
    return result;
  }

  private until(cond: () => boolean): Promise<void> {
    if (cond()) return Promise.resolve();
    return new Promise((resolve) => {
      const check = () => {
        if (cond()) resolve();
        else this.wake.push(check);
      };
      this.wake.push(check);
    });
  }

  private notify(): void {
    const waiting = this.wake;
    this.wake = [];
    for (const w of waiting) w();
  }
}

/** The open-upload quota a limits answer gives this run: its profile's, else the owner's; null if none. */
function quotaOf(limits: ServerLimits | null, profile: string | undefined): number | null {
  const q =
    (profile ? limits?.profiles?.[profile]?.maxOpenUploadsPerOwner : undefined) ?? limits?.maxOpenUploadsPerOwner;
  return typeof q === 'number' && Number.isInteger(q) && q > 0 ? q : null;
}

function toClientError(e: unknown, stop: AbortSignal): UploadClientError {
  if (stop.aborted && (isAbortError(e) || (e instanceof UploadClientError && e.code === 'STOPPED'))) {
    return stoppedError(stop.reason);
  }
  if (e instanceof UploadClientError) return e;
  return new UploadClientError(null, 'INTERNAL', e instanceof Error ? e.message : String(e));
}

function validate(options: UploadManyOptions): void {
  validateUploadOptions(options as UploadOptions);
  const issues: { path: string[]; message: string }[] = [];
  const rule = (key: 'batchSize' | 'completeDelayMs' | 'maxOpenUploads', min: number, max: number) => {
    const v = options[key];
    if (v !== undefined && (!Number.isInteger(v) || v < min || v > max)) {
      issues.push({ path: [key], message: `must be an integer in [${min}, ${max}]` });
    }
  };
  rule('batchSize', 1, BATCH_MAX);
  rule('completeDelayMs', 0, 600_000);
  rule('maxOpenUploads', 1, 100_000);
  if (issues.length > 0) throw new UploadClientError(null, 'INVALID_OPTIONS', 'invalid uploadMany options', { issues });
}
