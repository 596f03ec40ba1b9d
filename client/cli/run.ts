import { stat } from 'node:fs/promises';
import { UploadClientError } from '../errors.ts';
import { fileSource } from '../node-source.ts';
import type { Upload } from '../types.ts';
import { createUpload } from '../upload-task.ts';
import { runAppend } from './append.ts';
import { parseCliArgs, USAGE } from './args.ts';
import { ProgressBar } from './progress-bar.ts';
import { checkApi, formatDelay, retryReason } from './reach.ts';
import { runMany } from './run-many.ts';
import { runStdin } from './run-stdin.ts';
import { clearState, loadState, saveState, stateDir, stateFileFor } from './state-file.ts';

/** The process edges of the CLI, injectable so it can run in-process. */
export interface CliIo {
  /** The environment (`UPLOADS_API_URL`, `UPLOADS_TOKEN`, `UPLOADS_STATE_DIR`…). */
  env: Record<string, string | undefined>;
  /** Where the result JSON goes. */
  stdout: (s: string) => void;
  /** Where progress, warnings and errors go. */
  stderr: (s: string) => void;
  /** Draw the progress bar in place rather than line by line. */
  stderrIsTty: boolean;
  /** The terminal's width, read at each redraw (default 80). */
  columns?: () => number | undefined;
  /** Fires on the first Ctrl-C (or SIGTERM): the upload stops with `STOPPED` and is kept. */
  interrupt: AbortSignal;
  /** What `-` (and `--append -`) reads (default: process.stdin). */
  stdin?: AsyncIterable<Uint8Array>;
}

/** Exit codes: 0 done, 1 upload failed (or the API unreachable), 2 bad usage, 130 interrupted (resumable). */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  let args: ReturnType<typeof parseCliArgs>;
  try {
    args = parseCliArgs(argv, io.env);
  } catch (e) {
    io.stderr(`${USAGE}\n`);
    io.stderr(`${JSON.stringify(toError(e).toJSON())}\n`);
    return 2;
  }
  if (args.help) {
    io.stdout(`${USAGE}\n`);
    return 0;
  }
  if (args.append) {
    try {
      const { id, bucket, region, key, etag, crc64, size, location } = await runAppend(args, io);
      io.stdout(`${JSON.stringify({ id, bucket, region, key, etag, crc64, size, location })}\n`);
      return 0;
    } catch (e) {
      io.stderr(`${JSON.stringify(toError(e).toJSON())}\n`);
      return toError(e).code === 'INVALID_OPTIONS' ? 2 : 1;
    }
  }
  let bar: ProgressBar | null = null;
  try {
    if (args.files[0] === '-') return await runStdin(args, io);
    if (args.skipExisting || args.files.length > 1 || (await isDirectory(args.file))) return await runMany(args, io);
    const source = await fileSource(args.file);
    // A wrong --api fails here within seconds, naming the URL, not after a minute of backoff.
    await checkApi(args.api, { signal: io.interrupt });
    const stateFile = stateFileFor(stateDir(io.env), args.file);
    const saved = args.resume ? null : await loadState(stateFile, args.api, source.size);
    const progress = new ProgressBar({ write: io.stderr, tty: io.stderrIsTty, columns: io.columns });
    bar = progress;
    const attempt = (uploadId: string | undefined): Promise<Upload> =>
      createUpload(source, {
        baseUrl: args.api,
        token: args.token,
        // Retries are visible: a stalled bar with no word why looks like a hang.
        retry: { onRetry: (r) => progress.note(`retrying in ${formatDelay(r.delayMs)}: ${retryReason(r.error)}`) },
        uploadId,
        concurrency: args.concurrency,
        partSize: args.partSize,
        contentType: args.contentType,
        ...args.objectHeaders,
        md5: args.md5,
        trafficLimit: args.trafficLimit,
        ...(args.profile ? { profile: args.profile } : {}),
        signal: io.interrupt,
        onProgress: (p) => progress.update(p),
        onUploadCreated: (u) => {
          if (u.state === 'completed') return;
          // Fire and forget: failing to save only costs the automatic resume.
          saveState(stateFile, {
            uploadId: u.id,
            api: args.api,
            path: args.file,
            size: source.size,
            savedAt: new Date().toISOString(),
          }).catch((e: unknown) => progress.note(`warning: could not save resume state: ${String(e)}`));
        },
      }).done;
    let done: Upload;
    const resumeId = args.resume ?? saved?.uploadId;
    if (resumeId) progress.note(`resuming upload ${resumeId}`);
    try {
      done = await attempt(resumeId);
    } catch (e) {
      // A saved id that went stale (expired, aborted, swept) is not the user's problem: start over.
      const stale =
        e instanceof UploadClientError && ['NOT_FOUND', 'UPLOAD_NOT_OPEN', 'SOURCE_MISMATCH'].includes(e.code);
      if (!saved || !stale) throw e;
      progress.note(`saved upload ${saved.uploadId} cannot be resumed (${e.code}); starting a new one`);
      await clearState(stateFile);
      done = await attempt(undefined);
    }
    progress.finish();
    await clearState(stateFile);
    const { id, bucket, region, key, etag, crc64, size, location } = done;
    io.stdout(`${JSON.stringify({ id, bucket, region, key, etag, crc64, size, location })}\n`);
    return 0;
  } catch (e) {
    bar?.breakLine();
    // STOPPED, not ABORTED: the interrupt stopped the upload without deleting it.
    if (io.interrupt.aborted && e instanceof UploadClientError && e.code === 'STOPPED') {
      io.stderr(
        args.files[0] === '-'
          ? 'interrupted: a pipe cannot be resumed; the upload was deleted\n'
          : 'interrupted: the upload is kept; run the same command again to resume\n',
      );
      return 130;
    }
    const error = toError(e);
    io.stderr(`${JSON.stringify(error.toJSON())}\n`);
    return error.code === 'INVALID_OPTIONS' ? 2 : 1;
  }
}

const isDirectory = (path: string) =>
  stat(path).then(
    (s) => s.isDirectory(),
    () => false,
  );

function toError(e: unknown): UploadClientError {
  if (e instanceof UploadClientError) return e;
  return new UploadClientError(null, 'INTERNAL', e instanceof Error ? e.message : String(e));
}
