import { STRATEGIES, UPLOAD_STATES } from '../ports.ts';
import * as z from '../zod.ts';
import { int, uploadId } from './schemas.ts';

/**
 * The response shapes of docs/API.md. They are the contract the test client parses every answer
 * with (test/helpers/api-client.ts), what /v1/openapi.json documents, and the types the response
 * mappers return (core/upload-view.ts), so a field added on one side and not the other fails to
 * compile or fails a test. Handlers only name their types: no Lambda but openapi builds them.
 */

/** Every time the API sends is `Date.toISOString()` (STS's `expiration` has no milliseconds). */
const iso = z.iso.datetime().check(z.describe('ISO-8601 UTC'));
const decimalCrc64 = z.string().check(z.regex(/^\d{1,20}$/), z.describe('CRC64-ECMA, unsigned decimal'));

export const errorBody = z.object({
  error: z.object({ code: z.string(), message: z.string(), details: z.record(z.string(), z.unknown()) }),
});

export const uploadObject = z.object({
  id: uploadId,
  state: z.enum(UPLOAD_STATES),
  strategy: z.enum(STRATEGIES),
  bucket: z.string(),
  region: z.string(),
  key: z.string(),
  cosUploadId: z.nullable(z.string()).check(z.describe('COS multipart UploadId; null only for a 0-byte file')),
  fileName: z.string(),
  contentType: z.string(),
  size: z.nullable(int()),
  maxSize: int(),
  partSize: int(),
  partCount: z.nullable(int()),
  metadata: z.record(z.string(), z.string()),
  createdAt: iso,
  updatedAt: iso,
  expiresAt: iso,
  completedAt: z.nullable(iso),
  etag: z.nullable(z.string()),
  crc64: z.nullable(decimalCrc64),
  crc64Verified: z
    .nullable(z.boolean())
    .check(z.describe("after completion: COS's CRC64 matched the declared or part CRC64s (false: COS gave none)")),
  location: z
    .nullable(z.url())
    .check(z.describe("the object's full URL on the configured endpoint (null only on uploads older than it)")),
  // The contract's error body, kept: what the last background step (a merge) failed with.
  lastError: z.nullable(errorBody.shape.error),
  profile: z.nullable(z.string()).check(z.describe('the upload profile it was created under')),
  storageClass: z.string().check(z.describe('COS storage class, set at Initiate')),
  cacheControl: z.nullable(z.string()),
  contentDisposition: z.nullable(z.string()),
  contentEncoding: z.nullable(z.string()),
  contentLanguage: z.nullable(z.string()),
  expires: z.nullable(z.string()).check(z.describe('an HTTP date, sent as Expires')),
});
export type PublicUpload = z.output<typeof uploadObject>;

export const publicPart = z.object({
  partNumber: int(),
  etag: z.string(),
  size: z.nullable(int()),
  crc64: z.optional(decimalCrc64),
});
export type PublicPart = z.output<typeof publicPart>;

/** create 201, complete 200 (completed) and 202 (still completing). */
export const uploadResponse = z.object({ upload: uploadObject });
export type UploadResponse = z.output<typeof uploadResponse>;

const partUrlList = z.array(
  z.object({
    partNumber: int(),
    method: z.literal('PUT'),
    url: z.url(),
    headers: z.record(z.string(), z.string()),
    expiresAt: iso,
  }),
);

/** create: 201 with the new upload (and `urls` when `presign` asked), or 200 `deduplicated`. */
export const createUploadResponse = z.object({
  upload: uploadObject,
  urls: z.optional(partUrlList.check(z.describe('parts 1..presign, as part-urls answers them'))),
  deduplicated: z.optional(
    z.literal(true).check(z.describe('an existing completed upload of the same file: nothing was created')),
  ),
});
export type CreateUploadResponse = z.output<typeof createUploadResponse>;

/** One item of a batch answer that failed: the contract's error body, for that item alone. */
const itemError = z.object({ error: errorBody.shape.error });

export const createBatchResponse = z.object({
  results: z.array(z.union([createUploadResponse, itemError])),
});
export type CreateBatchResponse = z.output<typeof createBatchResponse>;

export const completeBatchResponse = z.object({
  results: z.array(z.union([uploadResponse, itemError])),
});
export type CompleteBatchResponse = z.output<typeof completeBatchResponse>;

export const getUploadResponse = z.object({ upload: uploadObject, parts: z.array(publicPart) });
export type GetUploadResponse = z.output<typeof getUploadResponse>;

export const partUrlsResponse = z.object({ urls: partUrlList });
export type PartUrlsResponse = z.output<typeof partUrlsResponse>;

export const appendUrlResponse = z.object({
  method: z.literal('POST'),
  url: z.url(),
  headers: z.record(z.string(), z.string()),
  expiresAt: iso,
});
export type AppendUrlResponse = z.output<typeof appendUrlResponse>;

export const recordPartsResponse = z.object({ recorded: int() });
export type RecordPartsResponse = z.output<typeof recordPartsResponse>;

export const downloadUrlResponse = z.object({ url: z.url(), expiresAt: iso });
export type DownloadUrlResponse = z.output<typeof downloadUrlResponse>;

/** GET /v1/limits: what a client plans with (shared/core/public-limits.ts). */
export const limitsResponse = z.object({
  maxUploadBytes: int(),
  maxParts: int(),
  minPartBytes: int(),
  maxPartBytes: int(),
  defaultPartBytes: int(),
  singlePutMaxBytes: int(),
  allowedContentTypes: z.array(z.string()),
  allowedStorageClasses: z.array(z.string()),
  maxOpenUploadsPerOwner: int(),
  urlExpiresSeconds: int(),
  stsDurationSeconds: int(),
  uploadTtlSeconds: int(),
  profiles: z.record(z.string(), z.record(z.string(), z.unknown())),
});
export type LimitsResponse = z.output<typeof limitsResponse>;

export const healthzResponse = z.object({ ok: z.literal(true) });
export type HealthzResponse = z.output<typeof healthzResponse>;

/** Only what a reader of /v1/openapi.json relies on; the rest is OpenAPI's to define. */
export const openApiResponse = z.looseObject({
  openapi: z.literal('3.1.0'),
  info: z.looseObject({ title: z.string(), version: z.string() }),
  paths: z.record(z.string(), z.record(z.string(), z.unknown())),
});
