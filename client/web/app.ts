/**
 * The browser upload page: pick or drop files, watch progress (with rate and time left),
 * pause/resume/cancel, retry a failed file, clear finished rows, survive a reload (re-pick the file
 * to resume, or discard the interrupted upload from the banner). Served by the local server as
 * `/app.js`.
 */
import {
  createApiClient,
  createUpload,
  type Upload,
  UploadClientError,
  type UploadTask,
  uploadMany,
} from '../upload.ts';
import { FileRow, friendlyError } from './file-row.ts';
import { findSaved, forgetUpload, loadSaved, rememberUpload, type SavedUpload } from './saved-uploads.ts';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const apiInput = $<HTMLInputElement>('api');
const tokenInput = $<HTMLInputElement>('token');
const fileInput = $<HTMLInputElement>('files');
const drop = $<HTMLDivElement>('drop');
const list = $<HTMLDivElement>('list');
const pending = $<HTMLDivElement>('pending');
const clearFinished = $<HTMLButtonElement>('clear-finished');

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

/** The rows on the page, for "Clear finished". */
const rows = new Set<FileRow>();

const MIB = 1024 * 1024;
const connection = () => ({ api: apiInput.value.trim().replace(/\/+$/, ''), token: tokenInput.value.trim() });

/**
 * Deletes an interrupted upload on the server (its stored parts go with it) and forgets it here.
 * An upload the server no longer has open is simply forgotten.
 */
async function discard(saved: SavedUpload, say: (text: string) => void): Promise<void> {
  const { token } = connection();
  if (!token) return say('a token is required to discard (type it above)');
  say('discarding…');
  try {
    await createApiClient({ baseUrl: saved.api, token, retry: { retries: 2 } }).abort(saved.uploadId);
  } catch (e) {
    const code = e instanceof UploadClientError ? e.code : null;
    if (code !== 'NOT_FOUND' && code !== 'UPLOAD_NOT_OPEN') {
      return say(`could not discard: ${friendlyError(e instanceof Error ? e : new Error(String(e)))}`);
    }
  }
  forgetUpload(saved.uploadId);
  renderPending();
}

/** The resume banner: each interrupted upload, to resume by picking its file again, or to discard. */
function renderPending(): void {
  const saved = loadSaved().filter((s) => !active.has(s.uploadId));
  pending.replaceChildren();
  if (saved.length === 0) return;
  const p = document.createElement('p');
  p.textContent = 'Interrupted uploads: pick the same file again to resume, or discard it.';
  const ul = document.createElement('ul');
  for (const s of saved) {
    const li = document.createElement('li');
    li.className = 'interrupted';
    li.dataset.uploadId = s.uploadId;
    const name = document.createElement('strong');
    name.textContent = s.name;
    const size = document.createElement('span');
    size.textContent = ` (${(s.size / MIB).toFixed(1)} MiB) `;
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'discard';
    button.textContent = 'Discard';
    const note = document.createElement('span');
    note.className = 'note';
    button.addEventListener('click', () => {
      button.disabled = true;
      void discard(s, (text) => {
        note.textContent = ` ${text}`;
        button.disabled = text === 'discarding…';
      });
    });
    li.append(name, size, button, note);
    ul.append(li);
  }
  pending.append(p, ul);
}

/** "Clear finished" is offered while a row is done or cancelled. */
function renderToolbar(): void {
  clearFinished.hidden = ![...rows].some((r) => r.finished);
}

/** Asks for a download URL at the click (it lives for minutes) and follows it. */
function download(id: string, row: FileRow): void {
  const { api, token } = connection();
  fetch(`${api}/v1/uploads/${encodeURIComponent(id)}/download-url`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ disposition: 'attachment' }),
  })
    .then(async (res) => {
      const body = (await res.json()) as { url?: string };
      if (!res.ok || !body.url) throw new Error(`download URL: HTTP ${res.status}`);
      window.location.assign(body.url);
    })
    .catch((e: unknown) => row.setState('done', `done (download failed: ${String(e)})`));
}

/** Starts one file in a new row, placed by `place` (default: at the top of the list). */
function start(file: File, resumeId?: string, place: (el: HTMLElement) => void = (el) => list.prepend(el)): void {
  const { api, token } = connection();
  const uploadId = resumeId ?? findSaved(file, api)?.uploadId;
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
        () => {
          row.setState('cancelled', 'cancelled');
          renderToolbar();
        },
        (e: unknown) => {
          row.setState('cancelled', `cancelled (cleanup failed: ${String(e)})`);
          renderToolbar();
        },
      );
    },
    // A download URL lives for minutes: ask for one at the click, not when the row finished.
    download: (u) => download(u.id, row),
    // The same file again, in the same place: it resumes the upload when the session exists.
    retry: () => {
      rows.delete(row);
      start(file, task?.id ?? uploadId, (el) => row.el.replaceWith(el));
      renderToolbar();
    },
  });
  rows.add(row);
  place(row.el);
  if (!token) {
    row.failed(new Error('a token is required (type it above or open the page with ?token=)'));
    return;
  }
  task = createUpload(file, {
    baseUrl: api,
    token,
    uploadId,
    ...tuning,
    // Few, big parts in a browser: recording often costs little and keeps a reload cheap.
    recordIntervalMs: 1000,
    onProgress: (p) => row.setProgress(p),
    onUploadCreated: (u) => {
      sessionOpened(u, file, row, api, uploadId !== undefined);
      renderPending();
    },
  });
  task.done.finally(() => task?.id && active.delete(task.id)).catch(() => {});
  task.done.then(
    (u) => {
      forgetUpload(u.id);
      renderPending();
      row.done(u);
      renderToolbar();
    },
    (e: unknown) => {
      const code = e instanceof UploadClientError ? e.code : null;
      // Cancel deleted the upload (ABORTED): nothing left to resume.
      if (cancelled || code === 'ABORTED') {
        if (task?.id) forgetUpload(task.id);
        renderPending();
        renderToolbar();
        return;
      }
      if (uploadId && code !== null && STALE.has(code)) {
        forgetUpload(uploadId);
        rows.delete(row);
        start(file, undefined, (el) => row.el.replaceWith(el));
        return;
      }
      // Still resumable (a network failure, an expired token…): listed as interrupted too.
      renderPending();
      row.failed(e instanceof Error ? e : new Error(String(e)));
      renderToolbar();
    },
  );
}

clearFinished.addEventListener('click', () => {
  for (const r of [...rows]) {
    if (!r.finished) continue;
    r.el.remove();
    rows.delete(r);
  }
  renderToolbar();
});

/** Files this small go together in a batch when several are picked at once: seconds each, no pause needed. */
const BATCH_MAX_BYTES = 8 * MIB;

/**
 * Several small new files picked or dropped at once share batch creates and batch completes
 * (`uploadMany`: about 2 API calls per 100 files instead of 3 per file); large files, files with
 * an interrupted upload to resume, and a file picked alone get a row with pause and cancel.
 */
function startAll(files: FileList | null): void {
  const picked = Array.from(files ?? []);
  const { api } = connection();
  const batch = picked.filter((f) => f.size <= BATCH_MAX_BYTES && !findSaved(f, api));
  if (picked.length < 2 || batch.length < 2 || !connection().token) {
    for (const f of picked) start(f);
    return;
  }
  for (const f of picked) if (!batch.includes(f)) start(f);
  startBatch(batch);
}

/**
 * A file's session exists: its row shows the id, and one not yet completed is remembered, so a
 * reload offers to resume it.
 */
function sessionOpened(u: Upload, file: File, row: FileRow, api: string, resumed: boolean): void {
  active.add(u.id);
  row.setUploadId(u.id, resumed);
  if (u.state === 'completed') return;
  rememberUpload({
    uploadId: u.id,
    api,
    name: file.name,
    size: file.size,
    lastModified: file.lastModified,
    savedAt: new Date().toISOString(),
  });
}

function startBatch(files: File[]): void {
  const { api, token } = connection();
  const byFile = files.map((file) => {
    const row: FileRow = new FileRow(file, {
      pause: () => {},
      resume: () => {},
      cancel: () => {},
      download: (u) => download(u.id, row),
      // A failed file of the batch is retried on its own (resuming its session when it has one).
      retry: () => {
        rows.delete(row);
        start(file, row.el.dataset.uploadId, (el) => row.el.replaceWith(el));
        renderToolbar();
      },
    });
    row.setBatched();
    rows.add(row);
    list.prepend(row.el);
    return row;
  });
  uploadMany(files, {
    baseUrl: api,
    token,
    ...tuning,
    onUploadCreated: (u, i) => sessionOpened(u, files[i]!, byFile[i]!, api, false),
    onFileDone: (r) => {
      const row = byFile[r.index]!;
      if (r.upload) active.delete(r.upload.id);
      if (r.state === 'failed') {
        row.failed(r.error);
      } else {
        forgetUpload(r.upload.id);
        const size = files[r.index]!.size;
        row.setProgress({
          phase: 'uploading',
          bytesSent: size,
          totalBytes: size,
          partsDone: 1,
          partCount: 1,
          resumedBytes: 0,
        });
        row.done(r.upload);
      }
      renderPending();
      renderToolbar();
    },
  }).catch((e: unknown) => {
    for (const row of byFile) if (!row.finished) row.failed(e instanceof Error ? e : new Error(String(e)));
    renderToolbar();
  });
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
