import { headerValueIssue, metadataIssues } from '../core/object-headers.ts';
import { STRATEGIES, UPLOAD_STATES } from '../ports.ts';
import * as z from '../zod.ts';

/**
 * The request and response shapes of docs/API.md, once: the handlers validate with them and
 * /v1/openapi.json is generated from them.
 */

const int = () => z.number().check(z.int());
const partNumber = int().check(z.gte(1), z.lte(10_000));
const byteCount = int().check(z.gte(0), z.lte(Number.MAX_SAFE_INTEGER));
// One check, not regex + refine: zod runs refinements even after a failed regex, and BigInt()
// of a non-number throws.
const crc64 = z
  .string()
  .check(z.refine((s) => /^\d{1,20}$/.test(s) && BigInt(s) < 2n ** 64n, 'must be an unsigned decimal CRC64 (64 bits)'));
const etag = z
  .string()
  .check(z.minLength(1), z.maxLength(128), z.regex(/^"?[A-Za-z0-9-]+"?$/, 'must be an ETag as COS returns it'));

/** What the server's ids look like (runtime/ids.ts): checked on the way in, documented on the way out. */
export const UPLOAD_ID_PATTERN = /^upl_[0-9a-z]{20,40}$/;
const uploadId = z.string().check(z.regex(UPLOAD_ID_PATTERN, 'not an upload id'));

/** The most part URLs one answer carries (part-urls' own limit). */
export const MAX_PRESIGN = 1000;

export const uploadIdParams = z.object({ id: uploadId });

export const createUploadBody = z.strictObject({
  fileName: z.string().check(
    z.minLength(1),
    z.maxLength(255),
    z.refine((s) => s.trim().length > 0, 'must not be blank'),
  ),
  size: z.optional(byteCount),
  maxSize: z.optional(byteCount.check(z.gte(1))),
  // The server sends it as Content-Type at Initiate: it must be a header value COS takes as is.
  contentType: z.optional(
    z.string().check(
      z.maxLength(255),
      z.regex(/^[\w.+-]+\/[\w.+-]+(\s*;.*)?$/, 'must be a media type like image/png'),
      z.refine((s) => headerValueIssue(s) === null, 'must be printable ASCII without surrounding spaces'),
    ),
  ),
  partSize: z.optional(int().check(z.gte(1))),
  // The same rule the COS adapter applies at Initiate (shared/core/object-headers.ts).
  metadata: z.optional(
    z.record(z.string(), z.string()).check(
      z.superRefine((m, ctx) => {
        for (const issue of metadataIssues(m))
          ctx.addIssue({ code: 'custom', path: issue.path, message: issue.message });
      }),
    ),
  ),
  crc64: z.optional(crc64),
  // How many part URLs (1..presign) the answer carries, as part-urls would give them (core/create-session.ts).
  presign: z.optional(int().check(z.gte(0), z.lte(MAX_PRESIGN))),
  // Answer with this owner's completed upload of the same file instead (needs size and crc64).
  dedupe: z.optional(z.boolean()),
});

/** Items a batch route takes at once (docs/API.md, "Many files at once"). */
export const MAX_BATCH_ITEMS = 100;

/**
 * POST /v1/uploads/batch as the route validates it: only the envelope. Each item is checked on its
 * own against createUploadBody (core/create-batch.ts), so an invalid item fails alone.
 */
export const createBatchBody = z.strictObject({
  uploads: z.array(z.unknown()).check(z.minLength(1), z.maxLength(MAX_BATCH_ITEMS)),
});

/** The same body as /v1/openapi.json shows it: every item is a create body. */
export const createBatchBodyDoc = z.strictObject({
  uploads: z.array(createUploadBody).check(z.minLength(1), z.maxLength(MAX_BATCH_ITEMS)),
});

/** POST /v1/uploads/batch-complete. Ids are the server's own: a malformed one fails the request, as in a path. */
export const completeBatchBody = z.strictObject({
  ids: z.array(uploadId).check(
    z.minLength(1),
    z.maxLength(MAX_BATCH_ITEMS),
    z.refine((a) => new Set(a).size === a.length, 'ids must be unique'),
  ),
});

export const partUrlsBody = z.strictObject({
  partNumbers: z.array(partNumber).check(
    z.minLength(1),
    z.maxLength(1000),
    z.refine((a) => new Set(a).size === a.length, 'part numbers must be unique'),
  ),
  finalPartSize: z.optional(byteCount),
});

export const partEntry = z.strictObject({
  partNumber,
  etag,
  size: z.optional(byteCount),
  crc64: z.optional(crc64),
});

export const recordPartsBody = z.strictObject({ parts: z.array(partEntry).check(z.minLength(1), z.maxLength(1000)) });

export const completeBody = z.optional(
  z.strictObject({
    parts: z.optional(
      z
        .array(z.strictObject({ partNumber, etag, size: z.optional(byteCount), crc64: z.optional(crc64) }))
        .check(z.maxLength(10_000)),
    ),
  }),
);

// The response shapes. They are the contract the test client parses every answer with
// (test/helpers/api-client.ts) and the types the response mappers return (core/upload-view.ts),
// so a field added on one side and not the other fails to compile or fails a test.

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

export const recordPartsResponse = z.object({ recorded: int() });
export type RecordPartsResponse = z.output<typeof recordPartsResponse>;

export const downloadUrlBody = z.optional(
  z.strictObject({
    expiresSeconds: z.optional(int().check(z.gte(1), z.lte(7 * 24 * 3600))),
    disposition: z.optional(z.enum(['inline', 'attachment'])),
  }),
);

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
