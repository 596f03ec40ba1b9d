import type { UploadInput } from './sources.ts';
import type { Upload, UploadOptions, UploadProgress } from './types.ts';
import { UploadRun } from './upload-run.ts';

/**
 * Where an {@link UploadTask} stands. `stopped`: halted by the caller's `signal` (rejected with
 * `STOPPED`; the upload is kept, resumable with `uploadId`); `aborted`: cancelled by `abort()` and
 * deleted (`ABORTED`).
 */
export type UploadTaskStatus = 'running' | 'paused' | 'completed' | 'failed' | 'stopped' | 'aborted';

/** A running upload with pause/resume/abort, from {@link createUpload}. */
export interface UploadTask {
  /**
   * Resolves with the completed upload; rejects with an {@link UploadClientError}: `STOPPED` when
   * the caller's signal stopped it, `ABORTED` after `abort()`, else the failure's code.
   */
  readonly done: Promise<Upload>;
  /** The upload id once the session exists (persist it to resume after a restart with `uploadId`). */
  readonly id: string | null;
  /** The session as last seen from the API. */
  readonly upload: Upload | null;
  /** Where the task stands now. */
  readonly status: UploadTaskStatus;
  /** Current progress. */
  progress(): UploadProgress;
  /**
   * Stops sending (in-flight part PUTs are cancelled and re-sent on `resume()`). While COS
   * assembles the object (`phase: 'assembling'`) nothing is being sent, so there is nothing to
   * pause: a no-op.
   */
  pause(): void;
  /** Un-pauses a paused task (resuming another upload by id is the `uploadId` option). */
  resume(): void;
  /**
   * Cancels for good: stops sending and deletes the session (`DELETE /v1/uploads/{id}`), also after
   * a stop by the caller's signal; `done` rejects with `ABORTED`. While COS assembles the object
   * the API refuses the delete (409 `UPLOAD_NOT_OPEN`): this then rejects with that error, and the
   * upload completes server-side. A no-op once completed or failed.
   */
  abort(): Promise<void>;
}

/**
 * Starts an upload and returns its controller. `source` is a Blob/File, a Uint8Array or an
 * `UploadSource` (in Node, `fileSource(path)` from `client/node-source.ts`).
 *
 * ```ts
 * const task = createUpload(file, { baseUrl, getToken, onUploadCreated: (u) => save(u.id) });
 * task.pause();
 * task.resume();
 * await task.done;
 * ```
 */
export function createUpload(source: UploadInput, options: UploadOptions): UploadTask {
  return new UploadRun(source, options);
}
