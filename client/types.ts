/**
 * Shapes the client shares with its callers. They mirror /work/shared/API.md (v1) rather than
 * importing the server's records, so the SDK can be shipped on its own.
 */

/** A `fetch`-compatible function; inject one to add logging, fault injection or a custom agent. */
export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

/** Lifecycle state of an upload session on the server. */
export type UploadState = 'open' | 'completing' | 'completed' | 'aborted' | 'expired';

/** The upload object returned by the API (see API.md, "The upload object"). */
export interface Upload {
  id: string;
  state: UploadState;
  strategy: 'single' | 'multipart';
  bucket: string;
  region: string;
  key: string;
  cosUploadId?: string | null;
  fileName: string;
  contentType: string;
  size: number | null;
  maxSize?: number;
  partSize: number;
  partCount: number | null;
  metadata?: Record<string, string>;
  createdAt?: string;
  updatedAt?: string;
  expiresAt?: string;
  completedAt?: string | null;
  etag?: string | null;
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
  contentDisposition?: string | null;
  contentEncoding?: string | null;
  contentLanguage?: string | null;
  /** An HTTP date. */
  expires?: string | null;
}

/** `Upload.lastError`: what a background step (assembly after a 202, the sweep) failed with. */
export interface UploadLastError {
  /** A contract error code, e.g. `PARTS_INVALID`. */
  code: string;
  message: string;
  /** As in the matching API error body, e.g. `{ missing, wrongSize, etagMismatch, crc64Mismatch? }`. */
  details?: Record<string, unknown> | null;
}

/** A part recorded in the server's ledger. */
export interface RecordedPart {
  partNumber: number;
  etag: string;
  size?: number | null;
  crc64?: string | null;
}

/** A presigned part URL from `POST /v1/uploads/{id}/part-urls`. */
export interface PartUrl {
  partNumber: number;
  method: 'PUT';
  url: string;
  /** Headers the signature binds; sent exactly as listed. */
  headers: Record<string, string>;
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
  totalBytes: number;
  partsDone: number;
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
}

/** Options shared by {@link upload} and {@link createUpload}. */
export interface UploadOptions {
  /** Base URL of the API, e.g. `https://api.example.com` (the `/v1/...` paths are appended). */
  api: string;
  /** A bearer token. Use `getToken` instead when tokens expire during long uploads. */
  token?: string;
  /** Called before API requests (and again after a 401) to obtain a fresh bearer token. */
  getToken?: () => Promise<string>;
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
   * effort) so a later `resume` continues. Use `UploadTask.abort()` to cancel for good.
   */
  signal?: AbortSignal;
  /** Resume this upload id instead of creating a new session. */
  resume?: string;
  /** Object file name (default: the File's name, else `upload.bin`). */
  fileName?: string;
  /** Injectable fetch (default: the global one). */
  fetch?: FetchLike;
  /** Backoff for network errors and 5xx on API calls and part PUTs. */
  retry?: RetryOptions;
  /**
   * Read the whole source once before creating the session to declare its CRC64 (default false).
   * By default the client declares no file CRC: it records each part's CRC64 (computed while
   * reading the part and cross-checked with COS's `x-cos-hash-crc64ecma`) in the ledger, so the
   * server can verify the object at complete, and it checks the completed object's CRC64 against
   * the locally combined part CRCs — one read of the file instead of two.
   */
  declareCrc64?: boolean;
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
