import type { Upload, UploadClientError, UploadProgress } from '../upload.ts';

/**
 * Row states, mirrored in `data-state` for styling and tests. `assembling`: every part is sent and
 * COS is putting the object together (complete answered 202), which can take minutes.
 */
export type RowState = 'starting' | 'uploading' | 'assembling' | 'paused' | 'done' | 'failed' | 'cancelled';

/** What the row's buttons do. */
export interface RowHandlers {
  pause(): void;
  resume(): void;
  cancel(): void;
  /** Try a failed upload again (resuming it when it has an id). Without it, no Retry button. */
  retry?(): void;
  /** Download the finished file (a fresh download URL each time). Without it, no Download button. */
  download?(upload: Upload): void;
}

const MIB = 1024 * 1024;
const mib = (n: number) => `${(n / MIB).toFixed(1)} MiB`;

/** 1536 → "1.5 KiB/s"-style rates, in the unit that reads best. */
function rate(bytesPerSecond: number): string {
  if (bytesPerSecond >= MIB) return `${(bytesPerSecond / MIB).toFixed(1)} MiB/s`;
  return `${Math.max(0, bytesPerSecond / 1024).toFixed(0)} KiB/s`;
}

/** Seconds → "1 h 02 min left", "3 min 05 s left", "42 s left". */
export function timeLeft(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '';
  const s = Math.round(seconds);
  if (s >= 3600) return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')} min left`;
  if (s >= 60) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s left`;
  return `${s} s left`;
}

/**
 * What a failure means to the person at the page, by its contract code (the code itself stays in
 * `data-error-code` and the tooltip). Unknown codes show the server's message.
 */
export function friendlyError(error: UploadClientError | Error): string {
  const code = 'code' in error ? String(error.code) : '';
  switch (code) {
    case 'UNAUTHORIZED':
      return 'the token was refused (expired or wrong): paste a fresh one above';
    case 'FORBIDDEN':
      return 'this token may not do that';
    case 'NETWORK_ERROR':
      return 'cannot reach the server: check the API address and your connection, then retry';
    case 'TOO_MANY_OPEN_UPLOADS':
      return 'too many uploads in progress for this account: finish or cancel some, then retry';
    case 'UPLOAD_TOO_LARGE':
    case 'PAYLOAD_TOO_LARGE':
      return 'the file is larger than the server allows';
    case 'CONTENT_TYPE_NOT_ALLOWED':
      return 'the server does not accept this type of file';
    case 'STORAGE_UNAVAILABLE':
    case 'STORE_UNAVAILABLE':
      return 'the storage is busy or down: retry in a moment';
    case 'COMPLETE_TIMEOUT':
      return 'the server is still assembling the file: retry later to see it finish';
    case 'CRC64_MISMATCH':
    case 'PARTS_INVALID':
      return 'the stored bytes did not check out: retry to send them again';
    case 'ETAG_MISSING':
      return "the storage's CORS rule must expose the ETag header";
    case 'INVALID_OPTIONS':
      return error.message;
    default:
      return error.message || code || 'failed';
  }
}

function el<K extends keyof HTMLElementTagNameMap>(tag: K, cls?: string, text?: string): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (cls) node.className = cls;
  if (text !== undefined) node.textContent = text;
  return node;
}

/** One file's progress, controls and result. Text only via textContent: file names are untrusted. */
export class FileRow {
  readonly el = el('div', 'file');
  private readonly progress = el('progress');
  private readonly status = el('span', 'status', 'starting…');
  private readonly numbers = el('span', 'numbers');
  private readonly pauseBtn = el('button', 'pause', 'Pause');
  private readonly cancelBtn = el('button', 'cancel', 'Cancel');
  private readonly retryBtn = el('button', 'retry', 'Retry');
  private readonly downloadBtn = el('button', 'download', 'Download');
  private readonly handlers: RowHandlers;
  private readonly result = el('div', 'result');
  private readonly now: () => number;
  /** When this row's sending (re)started and how many bytes this page had sent by then, for the rate. */
  private rateFrom: { at: number; bytes: number } | null = null;
  /** Bytes this page sent (the upload's bytes less those found already uploaded). */
  private sentHere = 0;

  constructor(file: File, handlers: RowHandlers, now: () => number = () => Date.now()) {
    this.now = now;
    this.handlers = handlers;
    this.el.dataset.name = file.name;
    this.progress.max = 1;
    this.progress.value = 0;
    const head = el('div', 'line');
    head.append(el('strong', 'name', file.name), this.numbers);
    const controls = el('div', 'line');
    controls.append(this.status, el('span'), this.pauseBtn, this.cancelBtn, this.retryBtn, this.downloadBtn);
    this.el.append(head, this.progress, controls, this.result);
    for (const b of [this.pauseBtn, this.cancelBtn, this.retryBtn, this.downloadBtn]) b.type = 'button';
    this.downloadBtn.hidden = true;
    this.pauseBtn.addEventListener('click', () =>
      this.el.dataset.state === 'paused' ? handlers.resume() : handlers.pause(),
    );
    this.cancelBtn.addEventListener('click', () => handlers.cancel());
    const retry = handlers.retry;
    if (retry) this.retryBtn.addEventListener('click', () => retry());
    this.retryBtn.dataset.available = retry ? 'yes' : 'no';
    this.setState('starting', 'starting…');
  }

  /** Done or cancelled: nothing more will happen to this row ("Clear finished" removes it). */
  get finished(): boolean {
    return this.el.dataset.state === 'done' || this.el.dataset.state === 'cancelled';
  }

  /**
   * Shows a state and its text; enables only the buttons that make sense in it. None do while
   * assembling: nothing is being sent, and the API refuses to delete a completing upload. Retry
   * shows on a failed row only.
   */
  setState(state: RowState, text: string): void {
    const before = this.el.dataset.state;
    this.el.dataset.state = state;
    this.status.textContent = text;
    this.pauseBtn.textContent = state === 'paused' ? 'Resume' : 'Pause';
    const active = state === 'uploading' || state === 'paused' || state === 'starting';
    this.pauseBtn.disabled = !active || state === 'starting';
    this.cancelBtn.disabled = !active;
    const canRetry = state === 'failed' && this.retryBtn.dataset.available === 'yes';
    this.retryBtn.hidden = !canRetry;
    this.retryBtn.disabled = !canRetry;
    this.pauseBtn.hidden = this.inBatch || state === 'failed' || state === 'done' || state === 'cancelled';
    this.cancelBtn.hidden = this.pauseBtn.hidden;
    // The rate counts from when sending (re)starts: a pause sends nothing.
    if (state !== 'uploading') this.rateFrom = null;
    else if (before !== 'uploading') this.rateFrom = { at: this.now(), bytes: this.sentHere };
  }

  /**
   * The file goes with others in one batch (`uploadMany`): small, over in a moment, and not
   * paused or cancelled on its own, so those buttons are not shown.
   */
  setBatched(): void {
    this.inBatch = true;
    this.setState((this.el.dataset.state ?? 'starting') as RowState, this.status.textContent ?? '');
  }

  private inBatch = false;

  /** The session exists (created, or found again after a reload). */
  setUploadId(id: string, resumed: boolean): void {
    this.el.dataset.uploadId = id;
    this.status.title = `upload id ${id}`;
    if (this.el.dataset.state === 'starting') this.setState('uploading', resumed ? 'resuming…' : 'uploading');
  }

  /** Per-part progress, including bytes found already uploaded, the rate and time left, and the assembling phase. */
  setProgress(p: UploadProgress): void {
    const state = this.el.dataset.state;
    const sending = state === 'starting' || state === 'uploading' || state === 'paused';
    if (p.phase === 'assembling' && sending) this.setState('assembling', 'assembling…');
    // The assembly failed and parts are sent again.
    else if (p.phase === 'uploading' && state === 'assembling') this.setState('uploading', 'uploading');
    this.progress.value = p.totalBytes > 0 ? p.bytesSent / p.totalBytes : 1;
    this.el.dataset.partsDone = String(p.partsDone);
    this.el.dataset.resumedBytes = String(p.resumedBytes);
    if (this.el.dataset.state === 'uploading' && this.status.textContent === 'resuming…' && p.resumedBytes > 0) {
      this.status.textContent = 'uploading (resumed)';
    }
    const speed = this.speed(p);
    const resumed = p.resumedBytes > 0 ? ` (${mib(p.resumedBytes)} already uploaded)` : '';
    const pace = speed ? ` · ${rate(speed.bytesPerSecond)}${speed.left ? ` · ${speed.left}` : ''}` : '';
    this.numbers.textContent = `${mib(p.bytesSent)} / ${mib(p.totalBytes)}${pace} · part ${p.partsDone}/${p.partCount}${resumed}`;
  }

  /** Bytes per second sent by this page since sending (re)started, and the time left at that pace. */
  private speed(p: UploadProgress): { bytesPerSecond: number; left: string } | null {
    this.sentHere = p.bytesSent - p.resumedBytes;
    if (!this.rateFrom || this.el.dataset.state !== 'uploading' || p.bytesSent >= p.totalBytes) {
      this.el.dataset.rate = '';
      return null;
    }
    const seconds = (this.now() - this.rateFrom.at) / 1000;
    const sent = this.sentHere - this.rateFrom.bytes;
    if (seconds <= 0 || sent <= 0) return null;
    const bytesPerSecond = sent / seconds;
    this.el.dataset.rate = String(Math.round(bytesPerSecond));
    const left = bytesPerSecond > 0 ? timeLeft((p.totalBytes - p.bytesSent) / bytesPerSecond) : '';
    return { bytesPerSecond, left };
  }

  /** Shows the final key and ETag, and a Download button for the file. */
  done(upload: Upload): void {
    this.setState('done', 'done');
    const download = this.handlers.download;
    if (download) {
      this.downloadBtn.hidden = false;
      this.downloadBtn.onclick = () => download(upload);
    }
    this.progress.value = 1;
    this.result.replaceChildren(el('div', '', 'key: '), el('div', '', 'etag: '));
    const [k, e] = this.result.children;
    k!.append(el('code', 'key', upload.key));
    e!.append(el('code', 'etag', upload.etag ?? ''));
  }

  /** Says what went wrong in words; the contract code and message stay in `data-error-code` and the tooltip. */
  failed(error: UploadClientError | Error): void {
    const code = 'code' in error ? String(error.code) : '';
    this.el.dataset.errorCode = code;
    this.setState('failed', `failed: ${friendlyError(error)}`);
    this.status.title = `${code ? `${code}: ` : ''}${error.message}${this.el.dataset.uploadId ? ` (upload ${this.el.dataset.uploadId})` : ''}`;
  }
}
