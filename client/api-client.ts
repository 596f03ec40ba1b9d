import type * as z from 'zod/mini';
import type { createUploadBody } from '../shared/api/schemas.ts';
import type { CompleteOptions } from './complete-wait.ts';
import { buildApiClient } from './http-api-client.ts';
import type { ApiClientOptions, PartUrl, RecordedPart, Upload, UploadLastError } from './types.ts';

/** Body of `POST /v1/uploads`: what the server's own schema accepts (a type only; nothing is bundled). */
export type CreateUploadBody = z.input<typeof createUploadBody>;

/** A part as sent to `PUT /v1/uploads/{id}/parts`. */
export interface PartRecordBody {
  /** 1-based. */
  partNumber: number;
  /** The ETag COS answered the part's PUT with. */
  etag: string;
  /** Bytes in the part. */
  size?: number;
  /** The part's CRC64 (unsigned decimal), so complete can verify the object. */
  crc64?: string;
}

/** `GET /v1/uploads/{id}`: the upload and the parts its ledger holds, ascending. */
export interface UploadWithParts {
  /** The upload as the server sees it now. */
  upload: Upload;
  /** Recorded parts, by ascending part number. */
  parts: RecordedPart[];
}

/** What `POST /v1/uploads` answers, whole: see {@link ApiClient.createWithUrls}. */
export interface CreateAnswer {
  /** The new upload, or (with `deduplicated`) the existing completed one. */
  upload: Upload;
  /** Presigned PUTs for parts 1..`presign`, when the body asked for them (absent for a completed upload). */
  urls?: PartUrl[];
  /** true when `dedupe` found a completed upload of the same file: nothing was created. */
  deduplicated?: boolean;
}

/** A batch item that failed on its own; the other items are unaffected. Shaped like an API error body. */
export interface BatchItemError {
  /** The error, as the single-item route would have answered it (e.g. `TOO_MANY_OPEN_UPLOADS`). */
  error: UploadLastError;
}

/** One item of {@link ApiClient.createBatch}'s answer, in the order of the bodies sent. */
export type CreateBatchResult = CreateAnswer | BatchItemError;

/** One item of {@link ApiClient.completeBatch}'s answer, in the order of the ids sent. */
export type CompleteBatchResult = { upload: Upload } | BatchItemError;

/** Options of {@link ApiClient.create}. */
export interface CreateOptions {
  /** 1–255 printable ASCII characters; reuse it to make a create you repeat yourself idempotent too. */
  idempotencyKey?: string;
}

/**
 * Typed calls to the upload API, one method per route (`docs/API.md`; `/v1/openapi.json`). Every
 * call retries what its error code calls retryable (network errors, 503s… see `retryable` on
 * {@link UploadClientError}) with backoff, and asks `getToken` again once after a 401; any other
 * failure rejects with an {@link UploadClientError} carrying the contract's code, message and
 * details. A `signal` that fires rejects the call with `STOPPED`. Build one with
 * {@link createApiClient}; {@link upload} and {@link createUpload} drive these calls for you.
 */
export interface ApiClient {
  /**
   * `POST /v1/uploads`: a new upload session (a 0-byte file comes back already `completed`). Sent
   * with an `Idempotency-Key` — `options.idempotencyKey`, else a random one per call — that every
   * retry of this call reuses, so a retry after a lost answer gets the same session back instead
   * of opening (and counting against the quota) another one; `IDEMPOTENCY_KEY_IN_USE` is retried.
   */
  create(body: CreateUploadBody, signal?: AbortSignal, options?: CreateOptions): Promise<Upload>;
  /**
   * `POST /v1/uploads`, giving the whole answer: with `presign: n` in the body it carries URLs for
   * parts 1..n (a small file then needs no part-urls call), and with `dedupe: true` (plus `size`
   * and `crc64`) it may be an existing completed upload of the same file (`deduplicated: true`).
   * Sends an `Idempotency-Key` as {@link ApiClient.create} does.
   */
  createWithUrls(body: CreateUploadBody, signal?: AbortSignal, options?: CreateOptions): Promise<CreateAnswer>;
  /**
   * `POST /v1/uploads/batch`: 1–100 create bodies in one call. Items fail independently: one result
   * per body, in order, each a {@link CreateAnswer} or a {@link BatchItemError} (an invalid body is
   * `VALIDATION_FAILED` with paths relative to the item; items past the quota are
   * `TOO_MANY_OPEN_UPLOADS`). Rejects only when the whole call fails. Like {@link ApiClient.create}
   * it sends an `Idempotency-Key` (`options.idempotencyKey`, else a random one) that its retries
   * reuse, so a retried batch gets its sessions back instead of opening more.
   */
  createBatch(
    bodies: readonly CreateUploadBody[],
    signal?: AbortSignal,
    options?: CreateOptions,
  ): Promise<CreateBatchResult[]>;
  /**
   * `POST /v1/uploads/batch-complete`: completes 1–100 uploads (unique ids) in one call. One result
   * per id, in order: `{ upload }` as complete would answer it — possibly still `completing`
   * (COS is assembling; poll with {@link ApiClient.get} or call {@link ApiClient.complete}), no
   * polling is done here — or a {@link BatchItemError} such as `PARTS_INVALID` or `NOT_FOUND`.
   */
  completeBatch(ids: readonly string[], signal?: AbortSignal): Promise<CompleteBatchResult[]>;
  /** `GET /v1/uploads/{id}`: the session and its recorded parts, ascending. */
  get(id: string, signal?: AbortSignal): Promise<UploadWithParts>;
  /** `POST /v1/uploads/{id}/part-urls` for 1–1,000 part numbers: presigned PUT URLs. */
  partUrls(id: string, partNumbers: readonly number[], signal?: AbortSignal): Promise<PartUrl[]>;
  /** `PUT /v1/uploads/{id}/parts` for 1–1,000 parts; idempotent. Resolves with the number recorded. */
  recordParts(id: string, parts: readonly PartRecordBody[], signal?: AbortSignal): Promise<number>;
  /**
   * `POST /v1/uploads/{id}/complete`, resolving with the completed upload; idempotent. When the API
   * answers 202 (COS is still assembling the object, which can take minutes) it polls
   * `GET /v1/uploads/{id}` — first after the `Retry-After`, else 1 s, then ×1.5 with jitter up to
   * 15 s — until the upload is `completed`, honouring `signal` and `options.timeoutMs`. An
   * assembly that fails in the background rejects like the synchronous refusal would (e.g. 409
   * `PARTS_INVALID` with its details, `error.upload` set).
   */
  complete(id: string, signal?: AbortSignal, options?: CompleteOptions): Promise<Upload>;
  /** `DELETE /v1/uploads/{id}`; idempotent. A `completing` upload is refused (409 `UPLOAD_NOT_OPEN`). */
  abort(id: string, signal?: AbortSignal): Promise<void>;
}

/**
 * A client for the upload API's routes, for callers who drive an upload themselves (or inspect
 * one: `get` shows its recorded parts). Throws `INVALID_OPTIONS` at once when `baseUrl` is not an
 * http(s) URL or neither `token` nor `getToken` is given.
 *
 * ```ts
 * const api = createApiClient({ baseUrl: 'https://api.example.com', getToken });
 * const { upload, parts } = await api.get(savedId);
 * ```
 */
export function createApiClient(options: ApiClientOptions): ApiClient {
  return buildApiClient(options);
}
