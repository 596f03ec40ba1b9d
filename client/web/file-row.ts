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
}

const MIB = 1024 * 1024;
const mib = (n: number) => `${(n / MIB).toFixed(1)} MiB`;

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
  private readonly status = el('span', 'status', 'starting');
  private readonly numbers = el('span', 'numbers');
  private readonly pauseBtn = el('button', 'pause', 'Pause');
  private readonly cancelBtn = el('button', 'cancel', 'Cancel');
  private readonly result = el('div', 'result');

  constructor(file: File, handlers: RowHandlers) {
    this.el.dataset.name = file.name;
    this.progress.max = 1;
    this.progress.value = 0;
    const head = el('div', 'line');
    head.append(el('strong', 'name', file.name), this.numbers);
    const controls = el('div', 'line');
    controls.append(this.status, el('span'), this.pauseBtn, this.cancelBtn);
    this.el.append(head, this.progress, controls, this.result);
    this.pauseBtn.type = 'button';
    this.cancelBtn.type = 'button';
    this.pauseBtn.addEventListener('click', () =>
      this.el.dataset.state === 'paused' ? handlers.resume() : handlers.pause(),
    );
    this.cancelBtn.addEventListener('click', () => handlers.cancel());
    this.setState('starting', 'starting');
  }

  /**
   * Shows a state and its text; enables only the buttons that make sense in it. None do while
   * assembling: nothing is being sent, and the API refuses to delete a completing upload.
   */
  setState(state: RowState, text: string): void {
    this.el.dataset.state = state;
    this.status.textContent = text;
    this.pauseBtn.textContent = state === 'paused' ? 'Resume' : 'Pause';
    const active = state === 'uploading' || state === 'paused' || state === 'starting';
    this.pauseBtn.disabled = !active || state === 'starting';
    this.cancelBtn.disabled = !active;
  }

  /** The session exists (created, or found again after a reload). */
  setUploadId(id: string, resumed: boolean): void {
    this.el.dataset.uploadId = id;
    if (this.el.dataset.state === 'starting') this.setState('uploading', resumed ? `resuming ${id}` : 'uploading');
  }

  /** Per-part progress, including bytes found already uploaded, and the assembling phase. */
  setProgress(p: UploadProgress): void {
    const state = this.el.dataset.state;
    const sending = state === 'starting' || state === 'uploading' || state === 'paused';
    if (p.phase === 'assembling' && sending) this.setState('assembling', 'assembling…');
    // The assembly failed and parts are sent again.
    else if (p.phase === 'uploading' && state === 'assembling') this.setState('uploading', 'uploading');
    this.progress.value = p.totalBytes > 0 ? p.bytesSent / p.totalBytes : 1;
    this.el.dataset.partsDone = String(p.partsDone);
    this.el.dataset.resumedBytes = String(p.resumedBytes);
    const resumed = p.resumedBytes > 0 ? ` (${mib(p.resumedBytes)} already uploaded)` : '';
    this.numbers.textContent = `${mib(p.bytesSent)} / ${mib(p.totalBytes)} · part ${p.partsDone}/${p.partCount}${resumed}`;
  }

  /** Shows the final key and ETag. */
  done(upload: Upload): void {
    this.setState('done', 'done');
    this.progress.value = 1;
    this.result.replaceChildren(el('div', '', 'key: '), el('div', '', 'etag: '));
    const [k, e] = this.result.children;
    k!.append(el('code', 'key', upload.key));
    e!.append(el('code', 'etag', upload.etag ?? ''));
  }

  /** Shows the contract error code and message. */
  failed(error: UploadClientError | Error): void {
    const code = 'code' in error ? `${String(error.code)}: ` : '';
    this.setState('failed', `failed — ${code}${error.message}`);
  }
}
