import { resolve } from 'node:path';
import { UploadClientError } from '../errors.ts';
import { fileSource } from '../node-source.ts';
import type { UploadSource } from '../sources.ts';
import { uploadMany } from '../upload-many.ts';
import type { UploadManyItem, UploadManyProgress, UploadManyResult } from '../upload-many-types.ts';
import type { CliArgs } from './args.ts';
import { formatBytes, ProgressBar } from './progress-bar.ts';
import { checkApi, formatDelay, retryReason } from './reach.ts';
import type { CliIo } from './run.ts';
import { SetState } from './set-state.ts';
import { stateDir } from './state-file.ts';
import { type FoundFile, walkPaths } from './walk.ts';

/** One line of the JSON report on stdout. */
export interface ReportEntry {
  path: string;
  uploadId: string | null;
  state: 'completed' | 'skipped' | 'failed';
  size: number | null;
  key?: string;
  /** Completed by an earlier, interrupted run of the same command: not sent again. */
  earlier?: true;
  error?: ReturnType<UploadClientError['toJSON']>;
}

/** Codes that mean "the saved session is gone": the file starts over rather than failing. */
const STALE = ['NOT_FOUND', 'UPLOAD_NOT_OPEN', 'SOURCE_MISMATCH'];

interface Entry {
  found: FoundFile;
  source: UploadSource | null;
  report: ReportEntry | null;
}

/**
 * Uploads a set (several paths, directories recursively) with `uploadMany`: one progress line for
 * the whole set, a summary on stderr, a JSON report on stdout. The set's state is saved as files
 * get sessions and finish, so after a Ctrl-C the same command sends only the rest (sessions
 * created but not finished are resumed by id). Exit codes as for one file; 1 when any file failed.
 */
export async function runMany(args: CliArgs, io: CliIo): Promise<number> {
  const startedAt = Date.now();
  const found = await walkPaths(args.files);
  const entries: Entry[] = [];
  for (const f of found) {
    try {
      entries.push({ found: f, source: await fileSource(f.path), report: null });
    } catch (e) {
      entries.push({ found: f, source: null, report: failed(f.path, null, toError(e)) });
    }
  }
  await checkApi(args.api, { signal: io.interrupt });
  const state = new SetState(
    stateDir(io.env),
    args.api,
    args.files.map((p) => resolve(p)),
  );
  await state.load();
  const bar = new ProgressBar({ write: io.stderr, tty: io.stderrIsTty, columns: io.columns, countLabel: 'files' });
  const todo: { entry: Entry; item: UploadManyItem }[] = [];
  for (const entry of entries) {
    const s = entry.source;
    if (!s) continue;
    const saved = state.get(entry.found.abs, s.size, s.lastModified ?? 0);
    if (saved?.done) {
      entry.report = {
        path: entry.found.path,
        uploadId: saved.uploadId ?? null,
        state: 'completed',
        size: s.size,
        earlier: true,
      };
      continue;
    }
    todo.push({ entry, item: { source: s, ...(saved?.uploadId ? { uploadId: saved.uploadId } : {}) } });
  }
  if (todo.length < entries.length - entries.filter((e) => !e.source).length) {
    bar.note(`resuming: ${entries.length - todo.length} of ${entries.length} files were done by an earlier run`);
  }
  const send = async (batch: typeof todo): Promise<UploadManyResult[]> =>
    uploadMany(
      batch.map((t) => t.item),
      {
        baseUrl: args.api,
        token: args.token,
        concurrency: args.concurrency,
        partSize: args.partSize,
        contentType: args.contentType,
        ...args.objectHeaders,
        ...(args.md5 ? { md5: true } : {}),
        ...(args.profile ? { profile: args.profile } : {}),
        ...(args.trafficLimit === undefined ? {} : { trafficLimit: args.trafficLimit }),
        skipExisting: args.skipExisting,
        signal: io.interrupt,
        retry: { onRetry: (r) => bar.note(`retrying in ${formatDelay(r.delayMs)}: ${retryReason(r.error)}`) },
        onProgress: (p) => bar.update(asBar(p)),
        onUploadCreated: (u, i) => {
          const { found, source } = batch[i]!.entry;
          state.set(found.abs, { size: source!.size, mtimeMs: source!.lastModified ?? 0, uploadId: u.id });
        },
        onFileDone: (r) => {
          const { found, source } = batch[r.index]!.entry;
          if (r.state === 'failed' && !r.upload) return;
          const done = r.state !== 'failed';
          state.set(found.abs, {
            size: source!.size,
            mtimeMs: source!.lastModified ?? 0,
            uploadId: r.upload!.id,
            done,
          });
        },
      },
    );
  let results = await send(todo);
  // Saved sessions that went stale (expired, swept) start over, as for one file.
  const stale = todo.filter(
    (t, i) =>
      t.item.uploadId &&
      results[i]!.state === 'failed' &&
      STALE.includes((results[i] as { error: UploadClientError }).error.code),
  );
  if (stale.length > 0 && !io.interrupt.aborted) {
    bar.note(`${stale.length} saved uploads cannot be resumed; starting them afresh`);
    for (const t of stale) delete t.item.uploadId;
    const again = await send(stale);
    results = results.map((r, i) => {
      const k = stale.indexOf(todo[i]!);
      return k >= 0 ? again[k]! : r;
    });
  }
  todo.forEach((t, i) => (t.entry.report = toReport(t.entry.found.path, results[i]!)));
  bar.finish();
  const report = entries.map((e) => e.report!);
  const count = (s: ReportEntry['state'], earlier = false) =>
    report.filter((r) => r.state === s && !!r.earlier === earlier).length;
  const summary = {
    files: report.length,
    completed: count('completed'),
    earlier: count('completed', true),
    skipped: count('skipped'),
    failed: count('failed'),
  };
  const sent = results.reduce((n, r, i) => (r.state === 'completed' ? n + todo[i]!.entry.source!.size : n), 0);
  const secs = ((Date.now() - startedAt) / 1000).toFixed(1);
  io.stderr(
    `${summary.files} files: ${summary.completed} uploaded, ${summary.skipped} skipped, ${summary.failed} failed` +
      `${summary.earlier ? `, ${summary.earlier} done earlier` : ''} (${formatBytes(sent)} in ${secs} s)\n`,
  );
  io.stdout(`${JSON.stringify({ ...summary, report })}\n`);
  if (io.interrupt.aborted) {
    await state.flush().catch(() => {});
    io.stderr('interrupted: finished files are saved; run the same command again to upload the rest\n');
    return 130;
  }
  if (summary.failed > 0) {
    await state.flush().catch(() => {});
    return 1;
  }
  await state.clear();
  return 0;
}

const asBar = (p: UploadManyProgress) => ({
  phase: 'uploading' as const,
  bytesSent: p.bytesSent,
  totalBytes: p.totalBytes,
  partsDone: p.filesDone,
  partCount: p.filesTotal,
  resumedBytes: p.skippedBytes,
});

function toReport(path: string, r: UploadManyResult): ReportEntry {
  if (r.state === 'failed') return failed(path, r.upload?.id ?? null, r.error);
  return { path, uploadId: r.upload.id, state: r.state, size: r.upload.size, key: r.upload.key };
}

function failed(path: string, uploadId: string | null, e: UploadClientError): ReportEntry {
  return { path, uploadId, state: 'failed', size: null, error: e.toJSON() };
}

function toError(e: unknown): UploadClientError {
  if (e instanceof UploadClientError) return e;
  return new UploadClientError(null, 'INTERNAL', e instanceof Error ? e.message : String(e));
}
