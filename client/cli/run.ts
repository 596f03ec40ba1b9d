import { isAbortError, UploadClientError } from '../errors.ts';
import { fileSource } from '../node-source.ts';
import type { Upload } from '../types.ts';
import { createUpload } from '../upload-task.ts';
import { parseCliArgs, USAGE } from './args.ts';
import { ProgressBar } from './progress-bar.ts';
import { clearState, loadState, saveState, stateDir, stateFileFor } from './state-file.ts';

/** The process edges of the CLI, injectable so it can run in-process. */
export interface CliIo {
  env: Record<string, string | undefined>;
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  stderrIsTty: boolean;
  /** Aborts on the first Ctrl-C. */
  interrupt: AbortSignal;
}

/** Exit codes: 0 done, 1 upload failed, 2 bad usage, 130 interrupted (resumable). */
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
  try {
    const source = await fileSource(args.file);
    const stateFile = stateFileFor(stateDir(io.env), args.file);
    const saved = args.resume ? null : await loadState(stateFile, args.api, source.size);
    const bar = new ProgressBar({ write: io.stderr, tty: io.stderrIsTty });
    const attempt = (resume: string | undefined): Promise<Upload> =>
      createUpload(source, {
        api: args.api,
        token: args.token,
        resume,
        concurrency: args.concurrency,
        partSize: args.partSize,
        contentType: args.contentType,
        signal: io.interrupt,
        onProgress: (p) => bar.update(p),
        onUploadCreated: (u) => {
          if (u.state === 'completed') return;
          // Fire and forget: failing to save only costs the automatic resume.
          saveState(stateFile, {
            uploadId: u.id,
            api: args.api,
            path: args.file,
            size: source.size,
            savedAt: new Date().toISOString(),
          }).catch((e: unknown) => io.stderr(`warning: could not save resume state: ${String(e)}\n`));
        },
      }).done;
    let done: Upload;
    const resumeId = args.resume ?? saved?.uploadId;
    if (resumeId) io.stderr(`resuming upload ${resumeId}\n`);
    try {
      done = await attempt(resumeId);
    } catch (e) {
      // A saved id that went stale (expired, aborted, swept) is not the user's problem: start over.
      const stale =
        e instanceof UploadClientError && ['NOT_FOUND', 'UPLOAD_NOT_OPEN', 'SOURCE_MISMATCH'].includes(e.code);
      if (!saved || !stale) throw e;
      io.stderr(`saved upload ${saved.uploadId} cannot be resumed (${e.code}); starting a new one\n`);
      await clearState(stateFile);
      done = await attempt(undefined);
    }
    bar.finish();
    await clearState(stateFile);
    const { id, bucket, region, key, etag, crc64, size, location } = done;
    io.stdout(`${JSON.stringify({ id, bucket, region, key, etag, crc64, size, location })}\n`);
    return 0;
  } catch (e) {
    io.stderr('\n');
    if (io.interrupt.aborted && isAbortError(e)) {
      io.stderr('interrupted: the upload is kept; run the same command again to resume\n');
      return 130;
    }
    io.stderr(`${JSON.stringify(toError(e).toJSON())}\n`);
    return 1;
  }
}

function toError(e: unknown): UploadClientError {
  if (e instanceof UploadClientError) return e;
  return new UploadClientError(null, 'INTERNAL', e instanceof Error ? e.message : String(e));
}
