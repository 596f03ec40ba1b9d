/**
 * The browser upload page: pick or drop files, watch progress, pause/resume/cancel, survive a
 * reload (re-pick the file to resume). Served by the local server as `/app.js`.
 */
import { createUpload, UploadClientError, type UploadTask } from '../upload.ts';
import { FileRow } from './file-row.ts';
import { findSaved, forgetUpload, loadSaved, rememberUpload } from './saved-uploads.ts';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const apiInput = $<HTMLInputElement>('api');
const tokenInput = $<HTMLInputElement>('token');
const fileInput = $<HTMLInputElement>('files');
const drop = $<HTMLDivElement>('drop');
const list = $<HTMLDivElement>('list');
const pending = $<HTMLDivElement>('pending');

const params = new URLSearchParams(location.search);
apiInput.value = params.get('api') ?? location.origin;
tokenInput.value = params.get('token') ?? '';
const positive = (v: string | null) => (v && /^\d+$/.test(v) && Number(v) > 0 ? Number(v) : undefined);
// Optional tuning from the URL (demos and tests): ?partSize=1048576&concurrency=2
const tuning = { partSize: positive(params.get('partSize')), concurrency: positive(params.get('concurrency')) };

/** Saved ids that no longer resume are dropped, and the file starts over. */
const STALE = new Set(['NOT_FOUND', 'UPLOAD_NOT_OPEN', 'SOURCE_MISMATCH']);

/** Upload ids running in this page: not "interrupted", so not listed in the banner. */
const active = new Set<string>();

function renderPending(): void {
  const saved = loadSaved().filter((s) => !active.has(s.uploadId));
  pending.replaceChildren();
  if (saved.length === 0) return;
  const p = document.createElement('p');
  p.textContent = `Interrupted uploads — pick the same file again to resume: ${saved.map((s) => s.name).join(', ')}`;
  pending.append(p);
}

function start(file: File, resumeId?: string): void {
  const api = apiInput.value.trim().replace(/\/+$/, '');
  const token = tokenInput.value.trim();
  let task: UploadTask | null = null;
  let cancelled = false;
  const row = new FileRow(file, {
    pause: () => {
      task?.pause();
      row.setState('paused', 'paused');
    },
    resume: () => {
      task?.resume();
      row.setState('uploading', 'uploading');
    },
    cancel: () => {
      cancelled = true;
      row.setState('cancelled', 'cancelling…');
      task?.abort().then(
        () => row.setState('cancelled', 'cancelled'),
        (e: unknown) => row.setState('cancelled', `cancelled (cleanup failed: ${String(e)})`),
      );
    },
  });
  list.prepend(row.el);
  if (!token) {
    row.failed(new Error('a token is required (type it above or open the page with ?token=)'));
    return;
  }
  const uploadId = resumeId ?? findSaved(file, api)?.uploadId;
  task = createUpload(file, {
    baseUrl: api,
    token,
    uploadId,
    ...tuning,
    // Few, big parts in a browser: recording often costs little and keeps a reload cheap.
    recordIntervalMs: 1000,
    onProgress: (p) => row.setProgress(p),
    onUploadCreated: (u) => {
      active.add(u.id);
      row.setUploadId(u.id, uploadId !== undefined);
      if (u.state !== 'completed') {
        rememberUpload({
          uploadId: u.id,
          api,
          name: file.name,
          size: file.size,
          lastModified: file.lastModified,
          savedAt: new Date().toISOString(),
        });
      }
      renderPending();
    },
  });
  task.done.finally(() => task?.id && active.delete(task.id)).catch(() => {});
  task.done.then(
    (u) => {
      forgetUpload(u.id);
      renderPending();
      row.done(u);
    },
    (e: unknown) => {
      const code = e instanceof UploadClientError ? e.code : null;
      // Cancel deleted the upload (ABORTED): nothing left to resume.
      if (cancelled || code === 'ABORTED') {
        if (task?.id) forgetUpload(task.id);
        renderPending();
        return;
      }
      if (uploadId && code !== null && STALE.has(code)) {
        forgetUpload(uploadId);
        row.el.remove();
        start(file, undefined);
        return;
      }
      row.failed(e instanceof Error ? e : new Error(String(e)));
    },
  );
}

function startAll(files: FileList | null): void {
  for (const f of Array.from(files ?? [])) start(f);
}

fileInput.addEventListener('change', () => {
  startAll(fileInput.files);
  // Lets the same file be picked again (e.g. to resume after a failure).
  fileInput.value = '';
});
drop.addEventListener('dragover', (e) => {
  e.preventDefault();
  drop.classList.add('over');
});
drop.addEventListener('dragleave', () => drop.classList.remove('over'));
drop.addEventListener('drop', (e) => {
  e.preventDefault();
  drop.classList.remove('over');
  startAll(e.dataTransfer?.files ?? null);
});
renderPending();
