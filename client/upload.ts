/**
 * The upload client SDK: browser, Node ≥ 20 and React Native. Node users who upload from a path
 * import `fileSource`/`uploadFile` from `./node-source.ts`, which this entry never imports.
 * Everything public is exported here; other modules of `client/` are internal.
 *
 * ```ts
 * const done = await upload(file, { baseUrl: 'https://api.example.com', token, onProgress: console.log });
 * console.log(done.key, done.etag);
 * ```
 */
import type { UploadInput } from './sources.ts';
import type { Upload, UploadOptions } from './types.ts';
import { createUpload } from './upload-task.ts';

export {
  type ApiClient,
  type BatchItemError,
  type CompleteBatchResult,
  createApiClient,
  type CreateAnswer,
  type CreateBatchResult,
  type CreateOptions as CreateCallOptions,
  type CreateUploadBody,
  type PartRecordBody,
  type PartUrlOptions,
  type PartWithMd5,
  type UploadWithParts,
} from './api-client.ts';
export { appendUpload, type AppendUploadOptions } from './append-upload.ts';
export type { CompleteOptions } from './complete-wait.ts';
export { type ClientErrorCode, isAbortError, UploadClientError, type UploadErrorCode } from './errors.ts';
export { contentMd5 } from './md5.ts';
export { blobSource, bytesSource, toSource, type UploadInput, type UploadSource } from './sources.ts';
export type {
  ApiClientOptions,
  AppendUrl,
  FetchLike,
  PartUrl,
  RecordedPart,
  RetryInfo,
  RetryOptions,
  Upload,
  UploadLastError,
  UploadOptions,
  UploadPhase,
  UploadProgress,
  UploadState,
} from './types.ts';
export { createUpload, type UploadTask, type UploadTaskStatus } from './upload-task.ts';
export { type StreamUploadOptions, uploadStream } from './stream-upload.ts';
export { uploadMany } from './upload-many.ts';
export type { UploadManyItem, UploadManyOptions, UploadManyProgress, UploadManyResult } from './upload-many-types.ts';

/**
 * Uploads `source` and resolves with the completed upload object (key, etag, crc64, ...).
 *
 * Creates a session (or resumes `options.uploadId`), PUTs the parts straight to COS through
 * presigned URLs with `options.concurrency` in flight, records them in the API's ledger in
 * batches, and completes. Retryable failures (network errors, 503s…) are retried with backoff;
 * others reject with an {@link UploadClientError} carrying the contract's error code; the caller's
 * `signal` rejects with `STOPPED` and keeps the upload. For pause/resume/abort use
 * {@link createUpload}.
 */
export function upload(source: UploadInput, options: UploadOptions): Promise<Upload> {
  return createUpload(source, options).done;
}
