import type { UploadClientError } from './errors.ts';
import type { UploadInput } from './sources.ts';
import type { ApiClientOptions, Upload, UploadOptions } from './types.ts';

/** One file of {@link uploadMany} with its own name, type or metadata, or a session to resume. */
export interface UploadManyItem {
  /** A Blob/File, bytes, or an `UploadSource` (in Node, `fileSource(path)`). */
  source: UploadInput;
  /** Object file name (default: the File's name, else `upload.bin`). */
  fileName?: string;
  /** Content type (default: `UploadManyOptions.contentType`, the Blob's type, else `application/octet-stream`). */
  contentType?: string;
  /** `x-cos-meta-*` for this file (default: `UploadManyOptions.metadata`). */
  metadata?: Record<string, string>;
  /** Continue this upload (an id an earlier run reported) instead of creating one. */
  uploadId?: string;
}

/** Aggregate progress of {@link uploadMany}; emitted whenever a part or a file finishes. */
export interface UploadManyProgress {
  /** Files in the set. */
  filesTotal: number;
  /** Files finished in any way: completed + skipped + failed (reaches `filesTotal`). */
  filesDone: number;
  /** Files completed by this call. */
  filesCompleted: number;
  /** Files skipped: the server already had them (`skipExisting`). */
  filesSkipped: number;
  /** Files that failed (see their results). */
  filesFailed: number;
  /** Bytes of every file in the set. */
  totalBytes: number;
  /** Bytes stored in COS, including skipped files and parts found on resume. */
  bytesSent: number;
  /** Of `bytesSent`, bytes not sent by this call (skipped files, resumed parts). */
  skippedBytes: number;
}

/** How one file of {@link uploadMany} ended; `index` is its position in the input. */
export type UploadManyResult =
  | { index: number; state: 'completed'; upload: Upload }
  /** The server already had this file (same name, size, CRC64): `upload` is that earlier one. */
  | { index: number; state: 'skipped'; upload: Upload }
  /** `upload` is the session when one was created (resume it with `uploadId`), else null. */
  | { index: number; state: 'failed'; error: UploadClientError; upload: Upload | null };

/** Options of {@link uploadMany}: how to reach the API, and how the set is sent. */
export interface UploadManyOptions
  extends
    Omit<ApiClientOptions, 'baseUrl'>,
    Pick<
      UploadOptions,
      | 'storageClass'
      | 'cacheControl'
      | 'contentDisposition'
      | 'contentEncoding'
      | 'contentLanguage'
      | 'expires'
      | 'md5'
      | 'trafficLimit'
    > {
  /** Base URL of the API, e.g. `https://api.example.com`. */
  baseUrl: string;
  /** Part PUTs in flight across all files together (1–64, default 4). */
  concurrency?: number;
  /** Default content type of the files. */
  contentType?: string;
  /** Default `x-cos-meta-*` of the files. */
  metadata?: Record<string, string>;
  /** Wished part size for large files; the server may choose another legal size. */
  partSize?: number;
  /**
   * The upload profile of every file (one of the server's `UPLOAD_PROFILES`): its size, type and
   * storage rules apply, its quota bounds the sessions kept open, its key segment names the objects.
   */
  profile?: string;
  /**
   * Hash each file (CRC64) before creating it and ask the server to `dedupe`: a file the owner
   * already uploaded (same name, size and CRC64, object still in COS) is not sent, its result is
   * `skipped`. Costs one extra read of every file.
   */
  skipExisting?: boolean;
  /** Files per batch create and per batch complete (1–100, default 100). */
  batchSize?: number;
  /**
   * A finished file waits at most this long for others to share its batch complete (default
   * 3,000 ms); a batch goes at once when half of `maxOpenUploads` (at most `batchSize`) wait, or
   * when no file is still sending.
   */
  completeDelayMs?: number;
  /**
   * Sessions this call keeps open at once. Default: the owner's quota as `GET /v1/limits` reports
   * it (`maxOpenUploadsPerOwner`, the profile's when it has one), read once at the start of a set
   * of more than 50 files to create; 100 (the server's default quota) when not read. Creating past
   * the quota would only be refused.
   * With `md5` or `trafficLimit` each file's URLs come from its own part-urls call (create cannot
   * sign a part's MD5 or the client's traffic limit): one more call per file.
   */
  maxOpenUploads?: number;
  /** Aggregate progress across the set. */
  onProgress?: (p: UploadManyProgress) => void;
  /** A file's session exists (created or resumed): persist `upload.id` with `index` to resume later. */
  onUploadCreated?: (upload: Upload, index: number) => void;
  /** A file finished (completed, skipped or failed). */
  onFileDone?: (result: UploadManyResult) => void;
  /**
   * Stops the whole set without deleting anything: files not finished get `failed` results with
   * `STOPPED` (those with a session carry it, to resume by `uploadId`).
   */
  signal?: AbortSignal;
  /** As in `UploadOptions`: part URLs per call, ledger batching, URL refresh, complete timeout. */
  urlBatchSize?: number;
  /** As in `UploadOptions`. */
  recordBatchSize?: number;
  /** As in `UploadOptions`. */
  recordIntervalMs?: number;
  /** As in `UploadOptions`. */
  urlExpiryMarginMs?: number;
  /** As in `UploadOptions`. */
  completeTimeoutMs?: number;
}
