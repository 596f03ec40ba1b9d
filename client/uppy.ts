/**
 * A first-party Uppy uploader for this API: each file goes through this project's client
 * (`createUpload`: parallel part PUTs straight to COS, batched part URLs and ledger records, CRC64
 * per part, resume by id), and Uppy hears its standard events.
 *
 * ```ts
 * import Uppy from '@uppy/core';
 * import CosUpload from './client/uppy.ts';
 * const uppy = new Uppy().use(CosUpload, { endpoint: 'https://api.example.com', getToken });
 * uppy.on('upload-success', (file, res) => console.log(res.uploadURL, res.body?.upload.key));
 * ```
 *
 * `@uppy/core` (6.x) is a peer dependency: the app brings its own Uppy; nothing else of this SDK
 * imports it.
 */
import { BasePlugin, type Body, EventManager, type Meta, type PluginOpts, type Uppy, type UppyFile } from '@uppy/core';
import { UploadClientError } from './errors.ts';
import { BatchLane } from './batch-lane.ts';
import { apiSettings, HttpApiClient } from './http-api-client.ts';
import type { FetchLike, RetryOptions, Upload, UploadOptions, UploadProgress } from './types.ts';
import { CosUploadError } from './uppy-error.ts';
import { type ObjectHeaderOptions, objectHeadersFor } from './uppy-object-headers.ts';
import { Slots } from './uppy-slots.ts';
import { fetchServerLimits, restrictionsFromLimits, type ServerLimits } from './uppy-limits.ts';
import { UploadRun } from './upload-run.ts';
import type { UploadTask } from './upload-task.ts';

export { CosUploadError } from './uppy-error.ts';
export { allowedTypes, fetchServerLimits, restrictionsFromLimits, type ServerLimits } from './uppy-limits.ts';
export type { ObjectHeaderOptions } from './uppy-object-headers.ts';

declare module '@uppy/core' {
  // Lets `uppy.getPlugin('CosUpload')` return the plugin's own type.
  export interface PluginTypeRegistry<M extends Meta, B extends Body> {
    CosUpload: CosUpload<M, B>;
  }
}

/** The meta field in which the plugin keeps each file's upload id (Golden Retriever persists it). */
export const UPLOAD_ID_META = 'cosUploadId';

/** What the plugin adds to a file's `meta`. */
export type CosUploadMeta = {
  /** The API's upload id (`upl_…`), set as soon as the session exists; a restored file resumes it. */
  cosUploadId?: string;
};

/** `file.response.body` after `upload-success`: the completed upload as the API returned it. */
export type CosUploadBody = {
  /** The completed upload object (key, etag, crc64, location, ...). */
  upload: Upload;
};

/** Options of {@link CosUpload}, given as `uppy.use(CosUpload, options)`. */
export interface CosUploadOptions<M extends Meta, B extends Body> extends PluginOpts {
  /** Base URL of the API, e.g. `https://api.example.com` (`/v1/...` is appended). Required. */
  endpoint: string;
  /** A bearer token. Give `getToken` instead when tokens expire during long uploads. */
  token?: string;
  /** Called before API requests (and again after a 401) for a fresh bearer token. */
  getToken?: () => Promise<string>;
  /** Parallel part PUTs per file (default 4). */
  concurrency?: number;
  /**
   * Files uploading at once (default 4). A file's session is created when it gets a slot, so a
   * large selection never holds more than `limit` open uploads (plus paused ones) against the
   * server's quota.
   */
  limit?: number;
  /** Wished part size in bytes; the server may choose another legal size. */
  partSize?: number;
  /**
   * Record the stored parts in the ledger at least this often (default 5,000 ms): what a closed
   * tab or a reload can lose is at most this much sending, since a resume skips recorded parts.
   */
  recordIntervalMs?: number;
  /** `x-cos-meta-*` metadata for a file's object (≤ 10 keys of `[a-z0-9-]`); none by default. */
  metadata?: (file: UppyFile<M, B>) => Record<string, string> | undefined;
  /**
   * Object headers the server sets on each file's object (`storageClass`, `cacheControl`,
   * `contentDisposition`, `contentEncoding`, `contentLanguage`, `expires`), fixed or per file.
   * A file's `meta` fields of those names win, so `uppy.setFileMeta(id, { contentDisposition })` works.
   */
  objectHeaders?: ObjectHeaderOptions | ((file: UppyFile<M, B>) => ObjectHeaderOptions | undefined);
  /**
   * The server's upload profile for a file (one of `profiles` in `GET /v1/limits`), fixed or per
   * file: the server holds the file to that profile's limits and quota. None by default.
   */
  profile?: string | ((file: UppyFile<M, B>) => string | undefined);
  /** Bind each part's Content-MD5 in its URL (the client's `md5` option); default false. */
  md5?: boolean;
  /** Bits per second COS may take each part PUT at (the client's `trafficLimit`). */
  trafficLimit?: number;
  /**
   * Read `GET /v1/limits` at install and set Uppy's `maxFileSize` and `allowedFileTypes` from it
   * (default true). A server without the route (404) leaves the restrictions alone.
   */
  serverLimits?: boolean;
  /** Injectable fetch (default: the global one), for API calls and part PUTs. */
  fetch?: FetchLike;
  /** Backoff for retryable failures (network errors, 5xx...) of API calls and part PUTs. */
  retry?: RetryOptions;
  /**
   * Share API calls between files (default true): the sessions of files that get their slots
   * together (the Upload button, resume-all, slots freeing at once) are created in one
   * `POST /v1/uploads/batch`, each with part 1's URL, and files whose bytes end together are
   * completed in one `POST /v1/uploads/batch-complete`. A file resumed by its saved id is looked up
   * on its own. `false`: each file creates and completes its own upload.
   */
  batch?: boolean;
}

const DEFAULTS = { limit: 4, concurrency: 4, recordIntervalMs: 5_000, serverLimits: true };

/**
 * How long a file whose bytes are all in COS waits for others to complete with it. Files started
 * together with like sizes end within a few tens of ms of each other (PUT latency jitter), so
 * 100 ms gathers them; it is also all a lone file loses, a fraction of one complete's round trip
 * on a phone. When every slot's file is waiting, none can join, and they are sent at once.
 */
const COMPLETE_DELAY_MS = 100;

/** The API connection part of the client's options, from the plugin's. */
function connection<M extends Meta, B extends Body>(opts: CosUploadOptions<M, B>) {
  return {
    baseUrl: opts.endpoint,
    ...(opts.token ? { token: opts.token } : { getToken: opts.getToken }),
    ...(opts.fetch ? { fetch: opts.fetch } : {}),
    ...(opts.retry ? { retry: opts.retry } : {}),
  };
}

/** A saved upload id the server no longer takes: start a fresh session instead (once). */
const STALE_ID_CODES: ReadonlySet<string> = new Set(['NOT_FOUND', 'UPLOAD_NOT_OPEN', 'SOURCE_MISMATCH']);

/**
 * The Uppy uploader (`type: 'uploader'`, id `CosUpload`). Per file it emits `upload-progress`
 * (per part), `upload-success` only once the API reports the upload `completed` (`uploadURL` is
 * the object's `location`, `body.upload` the upload object) and `upload-error` with a
 * {@link CosUploadError}. It honours pause/resume (one file or all), removal and `cancel-all`
 * (the session is aborted: `DELETE /v1/uploads/{id}`) and Uppy's retry (which resumes the same
 * session). The upload id is kept in `file.meta.cosUploadId`, so Golden Retriever resumes after a
 * reload instead of starting over.
 */
export default class CosUpload<M extends Meta, B extends Body> extends BasePlugin<CosUploadOptions<M, B>, M, B> {
  /** The plugin's version (that of this SDK). */
  static VERSION = '0.1.0';

  /** `GET /v1/limits` as read at install; null when the server has no such route or could not be read. */
  limits: Promise<ServerLimits | null> = Promise.resolve(null);

  readonly #slots: Slots;
  readonly #runs = new Map<string, FileRun<M, B>>();
  #finishWaiters: (() => void)[] = [];
  /** The lane and the options it was built from (`setOptions` replaces `opts`). */
  #lane: { opts: CosUploadOptions<M, B>; lane: BatchLane } | null = null;

  /** Called by `uppy.use(CosUpload, options)`; throws when `endpoint` or the token are missing. */
  constructor(uppy: Uppy<M, B>, opts: CosUploadOptions<M, B>) {
    super(uppy, { ...DEFAULTS, ...opts });
    this.type = 'uploader';
    this.id = this.opts.id ?? 'CosUpload';
    if (!this.opts.endpoint) throw new Error('CosUpload: the `endpoint` option (the API base URL) is required');
    if (!this.opts.token && !this.opts.getToken) throw new Error('CosUpload: give `token` or `getToken`');
    const limit = this.opts.limit ?? DEFAULTS.limit;
    if (!Number.isInteger(limit) || limit < 1) throw new Error('CosUpload: `limit` must be an integer ≥ 1');
    this.#slots = new Slots(limit);
  }

  /** Registers the uploader, declares resumable uploads (Uppy's pause buttons) and reads the limits. */
  override install(): void {
    const { capabilities } = this.uppy.getState();
    this.uppy.setState({ capabilities: { ...capabilities, resumableUploads: true } });
    this.uppy.addUploader(this.#handleUpload);
    if (this.opts.serverLimits !== false) {
      this.limits = fetchServerLimits({ endpoint: this.opts.endpoint, fetch: this.opts.fetch }).then((limits) => {
        if (limits) this.#applyLimits(limits);
        else this.uppy.log('[CosUpload] no /v1/limits on this server: restrictions left as they are');
        return limits;
      });
    }
  }

  /** Unregisters the uploader; uploads in flight go on. */
  override uninstall(): void {
    const { capabilities } = this.uppy.getState();
    this.uppy.setState({ capabilities: { ...capabilities, resumableUploads: false } });
    this.uppy.removeUploader(this.#handleUpload);
  }

  #applyLimits(limits: ServerLimits): void {
    const restrictions = restrictionsFromLimits(limits, this.uppy.opts.restrictions);
    if (Object.keys(restrictions).length > 0) this.uppy.setOptions({ restrictions });
  }

  #handleUpload = async (fileIDs: string[]): Promise<void> => {
    if (fileIDs.length === 0) return;
    const files = this.uppy.getFilesByIds(fileIDs).filter((f) => !f.error && !f.progress.uploadComplete);
    // A file Golden Retriever restored mid-upload has started already: Uppy must not reset it.
    this.uppy.emit(
      'upload-start',
      files.filter((f) => !f.progress.uploadStarted || !f.isRestored),
    );
    await Promise.allSettled(files.map((f) => this.#uploadFile(f.id)));
  };

  #uploadFile(fileId: string): Promise<void> {
    const running = this.#runs.get(fileId);
    if (running) return running.finished;
    const run = new FileRun(this, fileId, this.#host);
    this.#runs.set(fileId, run);
    run.enqueue();
    return run.finished;
  }

  /** The lane the files starting now share, for the options of the moment; null with `batch: false`. */
  #batchLane(): BatchLane | null {
    if (this.opts.batch === false) return null;
    if (this.#lane?.opts !== this.opts) {
      const api = new HttpApiClient(apiSettings(connection(this.opts)));
      // Once every slot's file waits for its complete, no other file can be sending: send then.
      const options = { flushAt: this.opts.limit ?? DEFAULTS.limit, completeDelayMs: COMPLETE_DELAY_MS };
      this.#lane = { opts: this.opts, lane: new BatchLane(api, options) };
    }
    return this.#lane.lane;
  }

  /** What a file run needs of the plugin beyond its options. */
  readonly #host: RunHost = {
    slots: () => this.#slots,
    lane: () => this.#batchLane(),
    othersBusy: (fileId) => [...this.#runs].some(([id, run]) => id !== fileId && run.holding),
    whenAnotherFinishes: (fn) => void this.#finishWaiters.push(fn),
    ended: (fileId) => {
      this.#runs.delete(fileId);
      const waiters = this.#finishWaiters;
      this.#finishWaiters = [];
      for (const fn of waiters) fn();
    },
  };
}

/** The plugin's shared state, as a {@link FileRun} sees it. */
interface RunHost {
  slots(): Slots;
  /** Where new sessions are created and uploads completed in batches; null: one by one. */
  lane(): BatchLane | null;
  /** Another file of ours holds a slot: it will end, and free quota. */
  othersBusy(fileId: string): boolean;
  /** Calls `fn` once the next file run ends. */
  whenAnotherFinishes(fn: () => void): void;
  /** A file run ended. */
  ended(fileId: string): void;
}

/**
 * One file's upload under the plugin: waits for a slot, drives a client task, follows Uppy's
 * pause/resume/remove/cancel events, and reports to Uppy. `finished` never rejects.
 */
class FileRun<M extends Meta, B extends Body> {
  readonly finished: Promise<void>;
  holding = false;
  private settle!: () => void;
  private ticket: { cancel(): void } | null = null;
  private task: UploadTask | null = null;
  private ended = false;
  private cancelled = false;
  /** The saved upload id was refused once: this run creates a new session. */
  private fresh = false;
  private readonly events: EventManager<M, B>;
  private readonly plugin: CosUpload<M, B>;
  private readonly host: RunHost;
  private readonly uppy: Uppy<M, B>;
  private readonly id: string;

  constructor(plugin: CosUpload<M, B>, id: string, host: RunHost) {
    this.plugin = plugin;
    this.host = host;
    this.uppy = plugin.uppy;
    this.id = id;
    this.finished = new Promise((resolve) => (this.settle = resolve));
    this.events = new EventManager(this.uppy);
    this.events.onFileRemove(id, () => void this.cancel());
    this.events.onCancelAll(id, () => void this.cancel());
    this.events.onPause(id, (isPaused) => (isPaused ? this.pause() : this.enqueue()));
    this.events.onPauseAll(id, () => this.pause());
    this.events.onResumeAll(id, () => this.enqueue());
  }

  private file(): UppyFile<M, B> | undefined {
    return this.uppy.getFile(this.id) as UppyFile<M, B> | undefined;
  }

  /** Asks for a slot (no-op while holding or waiting for one). */
  enqueue(): void {
    if (this.ended || this.holding || this.ticket) return;
    let granted = false;
    const ticket = this.host.slots().acquire(() => {
      granted = true;
      this.ticket = null;
      this.onSlot();
    });
    // A free slot is granted at once, inside acquire(): that ticket is spent already.
    if (!granted) this.ticket = ticket;
  }

  private release(): void {
    if (!this.holding) return;
    this.holding = false;
    this.host.slots().release();
  }

  private onSlot(): void {
    this.holding = true;
    const file = this.file();
    if (!file) return this.end();
    if (file.isPaused) return this.release();
    if (this.task) return this.task.resume();
    this.start(file);
  }

  private start(file: UppyFile<M, B>): void {
    if (file.isRemote || !file.data) {
      const why = file.isRemote
        ? 'remote (Companion) files are not supported by CosUpload'
        : "the file's bytes are not available (not restored after a reload): add the file again";
      return this.fail(new UploadClientError(null, 'SOURCE_MISSING', why));
    }
    const opts = this.plugin.opts;
    const savedId = this.fresh ? undefined : (file.meta as CosUploadMeta)[UPLOAD_ID_META];
    const options: UploadOptions = {
      ...connection(opts),
      concurrency: opts.concurrency ?? DEFAULTS.concurrency,
      ...(opts.partSize ? { partSize: opts.partSize } : {}),
      recordIntervalMs: opts.recordIntervalMs ?? DEFAULTS.recordIntervalMs,
      fileName: file.name || undefined,
      contentType: file.type || undefined,
      metadata: opts.metadata?.(file),
      ...objectHeadersFor(opts.objectHeaders, file),
      profile: typeof opts.profile === 'function' ? opts.profile(file) : opts.profile,
      ...(opts.md5 ? { md5: true } : {}),
      ...(opts.trafficLimit === undefined ? {} : { trafficLimit: opts.trafficLimit }),
      ...(savedId ? { uploadId: savedId } : {}),
      onUploadCreated: (u) => {
        if ((this.file()?.meta as CosUploadMeta | undefined)?.[UPLOAD_ID_META] !== u.id) {
          this.uppy.setFileMeta(this.id, { [UPLOAD_ID_META]: u.id } as unknown as M);
        }
      },
      onProgress: (p) => this.progress(p),
    };
    // A saved id is resumed on its own: only new sessions go through the lane's batch create.
    const task = new UploadRun(file.data, options, {}, this.host.lane());
    this.task = task;
    task.done.then(
      (upload) => this.succeeded(task, upload),
      (e: unknown) => this.failed(task, e, savedId),
    );
  }

  private progress(p: UploadProgress): void {
    const file = this.file();
    if (!file || this.ended) return;
    this.uppy.emit('upload-progress', file, {
      uploadStarted: file.progress.uploadStarted ?? Date.now(),
      bytesUploaded: p.bytesSent,
      bytesTotal: p.totalBytes,
    });
  }

  private succeeded(task: UploadTask, upload: Upload): void {
    if (task !== this.task || this.ended) return;
    const file = this.file();
    if (file && !this.cancelled) {
      this.uppy.emit('upload-success', file, {
        status: 200,
        uploadURL: upload.location ?? undefined,
        bytesUploaded: upload.size ?? undefined,
        body: { upload } satisfies CosUploadBody as unknown as B,
      });
    }
    this.end();
  }

  private failed(task: UploadTask, e: unknown, savedId: string | undefined): void {
    if (task !== this.task || this.ended) return;
    if (this.cancelled) return this.end();
    const code = e instanceof UploadClientError ? e.code : null;
    if (task.upload === null && code !== null) {
      // The saved id is stale (aborted, expired, swept, another file's): start over, once.
      if (savedId && STALE_ID_CODES.has(code) && !this.fresh) {
        this.uppy.log(`[CosUpload] upload ${savedId} cannot be resumed (${code}): starting a new one`);
        this.fresh = true;
        this.task = null;
        const file = this.file();
        return file ? this.start(file) : this.end();
      }
      // Over the owner's quota: wait for one of our own uploads to end, then try again.
      if (!savedId && code === 'TOO_MANY_OPEN_UPLOADS' && this.host.othersBusy(this.id)) {
        this.task = null;
        this.release();
        this.host.whenAnotherFinishes(() => this.enqueue());
        return;
      }
    }
    this.fail(e);
  }

  private fail(e: unknown): void {
    const file = this.file();
    if (file) {
      const error = new CosUploadError(e);
      const upload = e instanceof UploadClientError ? e.upload : null;
      this.uppy.emit(
        'upload-error',
        file,
        error,
        error.status !== null
          ? { status: error.status, body: { error: error.contract, ...(upload ? { upload } : {}) } as unknown as B }
          : undefined,
      );
    }
    this.end();
  }

  private pause(): void {
    if (this.ended) return;
    this.ticket?.cancel();
    this.ticket = null;
    if (!this.task) return this.release();
    this.task.pause();
    // Nothing to pause while COS assembles the object: the slot stays taken until it completes.
    if (this.task.status === 'paused') this.release();
  }

  /** Removed or cancel-all: stop for good and delete the session. */
  private async cancel(): Promise<void> {
    if (this.ended || this.cancelled) return;
    this.cancelled = true;
    this.ticket?.cancel();
    this.ticket = null;
    const task = this.task;
    if (task) {
      try {
        await task.abort();
      } catch (e) {
        // A completing upload cannot be deleted (409): it completes server-side.
        this.uppy.log(`[CosUpload] could not abort upload ${task.id}: ${String(e)}`, 'warning');
      }
    }
    this.end();
  }

  private end(): void {
    if (this.ended) return;
    this.ended = true;
    this.events.remove();
    this.ticket?.cancel();
    this.ticket = null;
    this.release();
    this.host.ended(this.id);
    this.settle();
  }
}
