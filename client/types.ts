/**
 * Shapes the client shares with its callers. They mirror the v1 API as `docs/API.md` describes it
 * (and as a server publishes it at `/v1/openapi.json`) rather than importing the server's records,
 * so the SDK can be shipped on its own.
 */

import type { UploadClientError } from './errors.ts';

/** A `fetch`-compatible function; inject one to add logging, fault injection or a custom agent. */
export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

/**
 * Lifecycle state of an upload session on the server: `open` (parts may be sent), `completing`
 * (COS is assembling the object), `completed`, `aborted` (deleted), `expired` (swept unfinished).
 */
export type UploadState = 'open' | 'completing' | 'completed' | 'aborted' | 'expired';

/**
 * The upload object returned by the API (`docs/API.md`, "The upload object"; the `Upload` schema of
 * `/v1/openapi.json`). Fields a newer server adds pass through untouched.
 */
export interface Upload {
  /** The upload id, `upl_…`: persist it to resume with `uploadId`. */
  id: string;
  /** Where the upload stands; see {@link UploadState}. */
  state: UploadState;
  /**
   * `single`: one part, for small files; `multipart`: `partCount` parts of `partSize`; `append`:
   * pieces appended over time ({@link appendUpload}).
   */
  strategy: 'single' | 'multipart' | 'append';
  /** The COS bucket, `name-appid`. */
  bucket: string;
  /** The COS region, e.g. `ap-guangzhou`. */
  region: string;
  /** The object key the server chose. */
  key: string;
  /** COS's multipart upload id (the server's business; shown for diagnostics). */
  cosUploadId?: string | null;
  /** The object's file name as given at create (sanitised by the server). */
  fileName: string;
  /** The object's `Content-Type`, set by the server when it initiated the upload. */
  contentType: string;
  /** Bytes; null for an upload created without a size (this client always declares one). */
  size: number | null;
  /** The largest size the upload may reach. */
  maxSize?: number;
  /** Bytes per part (the last one takes the rest). */
  partSize: number;
  /** Number of parts; null while the size is unknown. */
  partCount: number | null;
  /** The object's `x-cos-meta-*` metadata. */
  metadata?: Record<string, string>;
  /** ISO-8601 UTC. */
  createdAt?: string;
  /** ISO-8601 UTC. */
  updatedAt?: string;
  /** ISO-8601 UTC: an upload still open then is swept (aborted server-side). */
  expiresAt?: string;
  /** ISO-8601 UTC; null until completed. */
  completedAt?: string | null;
  /** The object's ETag once completed. */
  etag?: string | null;
  /** The object's CRC64/ECMA-182 as an unsigned decimal string, once known. */
  crc64?: string | null;
  /**
   * Whether COS's CRC64 of the assembled object matched the declared or part CRC64s; false when
   * COS gave none (the object is complete but unverified); null until the upload is completed.
   * Absent from older servers.
   */
  crc64Verified?: boolean | null;
  /** The full URL of the object on the configured COS endpoint, for every strategy. */
  location?: string | null;
  /**
   * The last background step that failed, e.g. an assembly after a 202 that COS refused; null
   * once a complete succeeds. `code`/`message`/`details` are shaped like an API error body.
   */
  lastError?: UploadLastError | null;
  /** The upload profile the session was created under. */
  profile?: string | null;
  /** COS storage class set at Initiate, e.g. `STANDARD`. */
  storageClass?: string | null;
  /** Object headers the server set at Initiate (clients cannot set them on their PUTs). */
  cacheControl?: string | null;
  /** As `cacheControl`: the object's `Content-Disposition`. */
  contentDisposition?: string | null;
  /** As `cacheControl`: the object's `Content-Encoding`. */
  contentEncoding?: string | null;
  /** As `cacheControl`: the object's `Content-Language`. */
  contentLanguage?: string | null;
  /** An HTTP date. */
  expires?: string | null;
}

/** `Upload.lastError`: what a background step (assembly after a 202, the sweep) failed with. */
export interface UploadLastError {
  /** A contract error code, e.g. `PARTS_INVALID`. */
  code: string;
  /** What went wrong, for people. */
  message: string;
  /** As in the matching API error body, e.g. `{ missing, wrongSize, etagMismatch, crc64Mismatch? }`. */
  details?: Record<string, unknown> | null;
}

/** A part recorded in the server's ledger. */
export interface RecordedPart {
  /** 1-based. */
  partNumber: number;
  /** The ETag COS answered the part's PUT with. */
  etag: string;
  /** Bytes, when the recording client gave it. */
  size?: number | null;
  /** The part's CRC64, when the recording client gave it (this client always does). */
  crc64?: string | null;
}

/** A presigned part URL from `POST /v1/uploads/{id}/part-urls`. */
export interface PartUrl {
  /** 1-based. */
  partNumber: number;
  /** Always `PUT`. */
  method: 'PUT';
  /** The presigned COS URL. */
  url: string;
  /** Headers the signature binds; sent exactly as listed. */
  headers: Record<string, string>;
  /** ISO-8601 UTC; the URL is refused (403) after it. */
  expiresAt: string;
}

/** A presigned APPEND Object (`POST /v1/uploads/{id}/append-url`): POST the piece to `url`. */
export interface AppendUrl {
  /** Always `POST`. */
  method: 'POST';
  /** The presigned COS URL; it binds the position and the piece's exact length. */
  url: string;
  /** Headers the signature binds; sent exactly as listed. */
  headers: Record<string, string>;
  /** ISO-8601 UTC; the URL is refused (403) after it. */
  expiresAt: string;
}

/**
 * What an upload is doing: `uploading` parts, or waiting while COS `assembling`s the object after
 * complete answered 202 (minutes for large objects on real COS; no bytes move meanwhile).
 */
export type UploadPhase = 'uploading' | 'assembling';

/**
 * Progress of one upload; `bytesSent` only grows while the upload runs, except when a complete is
 * refused and parts must be sent again.
 */
export interface UploadProgress {
  /**
   * `assembling` from the moment complete answers 202 until the upload is completed, or back to
   * `uploading` when the assembly failed and parts are sent again. An event is emitted whenever
   * the phase changes.
   */
  phase: UploadPhase;
  /** Bytes stored in COS so far, including parts verified on resume. */
  bytesSent: number;
  /** The size of the source. */
  totalBytes: number;
  /** Parts stored in COS so far. */
  partsDone: number;
  /** Parts in the plan. */
  partCount: number;
  /** Of `bytesSent`, the bytes found already uploaded when resuming (not sent in this run). */
  resumedBytes: number;
}

/** Tuning for exponential backoff with full jitter. */
export interface RetryOptions {
  /** Attempts after the first one (default 6). */
  retries?: number;
  /** Upper bound of the first delay in ms (default 250). */
  baseDelayMs?: number;
  /** Cap of any single delay in ms (default 20,000). */
  maxDelayMs?: number;
  /**
   * Called when an API call or a part PUT failed retryably and is about to be tried again, before
   * the backoff wait: to show it ("retrying in 2 s: connection refused"). Only reports; an error
   * it throws is ignored.
   */
  onRetry?: (retry: RetryInfo) => void;
}

/** A retry about to happen, as {@link RetryOptions.onRetry} hears of it. */
export interface RetryInfo {
  /** The failure being retried: `code`, `status` and `message` say what went wrong. */
  error: UploadClientError;
  /** 1 for the first retry of this call, up to `retries`. */
  attempt: number;
  /** How long the client waits before the next attempt, in ms. */
  delayMs: number;
}

/** How to reach the API: the options of {@link createApiClient}, and part of {@link UploadOptions}. */
export interface ApiClientOptions {
  /** Base URL of the API, e.g. `https://api.example.com` (the `/v1/...` paths are appended). */
  baseUrl: string;
  /** A bearer token. Use `getToken` instead when tokens expire during long uploads. */
  token?: string;
  /** Called before API requests (and again after a 401) to obtain a fresh bearer token. */
  getToken?: () => Promise<string>;
  /** Injectable fetch (default: the global one). */
  fetch?: FetchLike;
  /** Backoff for retryable failures (network errors, 5xx…) of API calls and part PUTs. */
  retry?: RetryOptions;
}

/**
 * Options shared by {@link upload} and {@link createUpload}. Give exactly one of `baseUrl` and its
 * deprecated alias `api`, and `token` or `getToken`.
 */
export interface UploadOptions extends Omit<ApiClientOptions, 'baseUrl'> {
  /** Base URL of the API, e.g. `https://api.example.com`. Required (or, for now, `api`). */
  baseUrl?: string;
  /**
   * The former name of `baseUrl`, still accepted.
   * @deprecated Use `baseUrl`; giving both is an `INVALID_OPTIONS` error.
   */
  api?: string;
  /** Content type of the object (default: the Blob's type, else `application/octet-stream`). */
  contentType?: string;
  /** Stored as `x-cos-meta-*`; ≤ 10 keys of `[a-z0-9-]`. */
  metadata?: Record<string, string>;
  /** Parallel part PUTs (default 4). */
  concurrency?: number;
  /** Wished part size in bytes; the server may choose another legal size. */
  partSize?: number;
  /** Called whenever a part finishes (per-part granularity: `fetch` has no upload progress). */
  onProgress?: (e: UploadProgress) => void;
  /** Called once the upload session exists (created or resumed) — persist `upload.id` to resume later. */
  onUploadCreated?: (upload: Upload) => void;
  /**
   * Stops the upload without deleting it: parts already stored are recorded in the ledger (best
   * effort), and the upload rejects with `STOPPED`; pass its id as `uploadId` to continue later.
   * Use `UploadTask.abort()` to cancel for good (`ABORTED`).
   */
  signal?: AbortSignal;
  /**
   * Resume this upload (an id from `onUploadCreated` or `UploadTask.id`) instead of creating a new
   * one. Un-pausing a running task is `UploadTask.resume()`.
   */
  uploadId?: string;
  /**
   * The former name of `uploadId`, still accepted.
   * @deprecated Use `uploadId` (`resume` read like un-pausing, which is `UploadTask.resume()`);
   * giving both is an `INVALID_OPTIONS` error.
   */
  resume?: string;
  /** Object file name (default: the File's name, else `upload.bin`). */
  fileName?: string;
  /**
   * The upload profile (one of the server's `UPLOAD_PROFILES`, listed by `GET /v1/limits`): its
   * size, type, storage and quota rules apply, and its key segment names the object. Unknown to the
   * server: create fails with `VALIDATION_FAILED`.
   */
  profile?: string;
  /**
   * Read the whole source once before creating the session to declare its CRC64 (default false).
   * By default the client declares no file CRC: it records each part's CRC64 (computed while
   * reading the part and cross-checked with COS's `x-cos-hash-crc64ecma`) in the ledger, so the
   * server can verify the object at complete, and it checks the completed object's CRC64 against
   * the locally combined part CRCs — one read of the file instead of two.
   */
  declareCrc64?: boolean;
  /**
   * Compute each part's MD5 while reading it and have its URL bind it as `Content-MD5` (default
   * false), so COS refuses bytes that changed on the way even at the same length (`BadDigest`),
   * beyond the CRC64 check after the fact. The URL of a part can then only be fetched once the
   * part is read, so URLs are fetched for the parts in flight rather than ahead in large batches.
   */
  md5?: boolean;
  /**
   * Bits per second COS may take each part PUT at (819,200–838,860,800, COS's range): COS throttles
   * the upload to it, leaving bandwidth to the rest of the app. A server's own limit
   * (`TRAFFIC_LIMIT_BPS`) wins when lower.
   */
  trafficLimit?: number;
  /**
   * The COS storage class of the object, e.g. `STANDARD_IA` (default: the server's, `STANDARD`
   * unless configured otherwise). It must be one the server allows (`allowedStorageClasses` of
   * `GET /v1/limits`), else create fails with `VALIDATION_FAILED`.
   */
  storageClass?: string;
  /**
   * Object headers the server sets when it creates the upload, which COS then answers on every
   * GET and HEAD of the object: `Cache-Control`. Printable ASCII, at most 1,024 characters, like
   * the other object headers.
   */
  cacheControl?: string;
  /** As `cacheControl`: `Content-Disposition`, e.g. `attachment; filename="report.pdf"`. */
  contentDisposition?: string;
  /** As `cacheControl`: `Content-Encoding` (of the bytes as uploaded, e.g. `gzip`). */
  contentEncoding?: string;
  /** As `cacheControl`: `Content-Language`, e.g. `en-GB`. */
  contentLanguage?: string;
  /** As `cacheControl`: `Expires`, an HTTP date such as `Tue, 01 Dec 2026 00:00:00 GMT` (`Date#toUTCString()`). */
  expires?: string;
  /** Part URLs requested per API call (1–1,000, default 1,000). */
  urlBatchSize?: number;
  /** Ledger records per API call (1–1,000, default 1,000). */
  recordBatchSize?: number;
  /**
   * Also flush the ledger when the oldest unrecorded part is older than this (default 20,000 ms),
   * bounding the work lost if the process dies. 0 records after every part.
   */
  recordIntervalMs?: number;
  /** Refetch a URL this long before its `expiresAt` (default 60,000 ms). */
  urlExpiryMarginMs?: number;
  /**
   * Give up waiting for COS to assemble the object after this long (ms, counted from the first
   * complete call), failing with `COMPLETE_TIMEOUT`; the upload goes on server-side and can be
   * resumed later. Default: wait as long as the server reports `completing`.
   */
  completeTimeoutMs?: number;
}
