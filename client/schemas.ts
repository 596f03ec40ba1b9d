/**
 * What the client checks in API responses. zod/mini keeps the browser bundle small; objects are
 * loose so fields a newer server adds pass through untouched.
 */
import * as z from 'zod/mini';

const state = z.enum(['open', 'completing', 'completed', 'aborted', 'expired']);

/** The upload object (`Upload` in types.ts). */
export const uploadSchema = z.looseObject({
  id: z.string(),
  state,
  strategy: z.enum(['single', 'multipart']),
  bucket: z.string(),
  region: z.string(),
  key: z.string(),
  cosUploadId: z.nullish(z.string()),
  fileName: z.string(),
  contentType: z.string(),
  size: z.nullable(z.number()),
  maxSize: z.optional(z.number()),
  partSize: z.number(),
  partCount: z.nullable(z.number()),
  metadata: z.optional(z.record(z.string(), z.string())),
  etag: z.nullish(z.string()),
  crc64: z.nullish(z.string()),
  crc64Verified: z.nullish(z.boolean()),
  location: z.nullish(z.string()),
  lastError: z.nullish(
    z.looseObject({
      code: z.string(),
      message: z.string(),
      details: z.nullish(z.record(z.string(), z.unknown())),
    }),
  ),
  profile: z.nullish(z.string()),
  storageClass: z.nullish(z.string()),
  cacheControl: z.nullish(z.string()),
  contentDisposition: z.nullish(z.string()),
  contentEncoding: z.nullish(z.string()),
  contentLanguage: z.nullish(z.string()),
  expires: z.nullish(z.string()),
});

/** A part of the ledger (`RecordedPart`). */
export const recordedPartSchema = z.looseObject({
  partNumber: z.number(),
  etag: z.string(),
  size: z.nullish(z.number()),
  crc64: z.nullish(z.string()),
});

/** `{ upload }`: create and complete. */
export const uploadEnvelope = z.looseObject({ upload: uploadSchema });

/** `{ upload, parts }`: `GET /v1/uploads/{id}`. */
export const uploadWithPartsEnvelope = z.looseObject({
  upload: uploadSchema,
  parts: z.array(recordedPartSchema),
});

/** `{ urls }`: part-urls. */
export const partUrlsEnvelope = z.looseObject({
  urls: z.array(
    z.looseObject({
      partNumber: z.number(),
      method: z.literal('PUT'),
      url: z.string(),
      headers: z.record(z.string(), z.string()),
      expiresAt: z.string(),
    }),
  ),
});

/** create: `{ upload, urls?, deduplicated? }` (urls when `presign` asked; deduplicated on a 200 dedupe hit). */
export const createEnvelope = z.looseObject({
  upload: uploadSchema,
  urls: z.optional(partUrlsEnvelope.shape.urls),
  deduplicated: z.optional(z.boolean()),
});

/** A batch item that failed: the contract's error body, for that item alone. */
const itemError = z.looseObject({
  error: z.looseObject({
    code: z.string(),
    message: z.string(),
    details: z.optional(z.record(z.string(), z.unknown())),
  }),
});

/** `POST /v1/uploads/batch`: one result per item, in order. */
export const createBatchEnvelope = z.looseObject({ results: z.array(z.union([itemError, createEnvelope])) });

/** `POST /v1/uploads/batch-complete`: one result per id, in order. */
export const completeBatchEnvelope = z.looseObject({ results: z.array(z.union([itemError, uploadEnvelope])) });

/** `{ recorded }`: record parts. */
export const recordedEnvelope = z.looseObject({ recorded: z.number() });

/** The contract's error body, read off every non-2xx answer. */
export const errorEnvelope = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    details: z.optional(z.record(z.string(), z.unknown())),
  }),
});
