import { z } from 'zod';

/**
 * The request and response shapes of API.md, once: the handlers validate with them and
 * /v1/openapi.json is generated from them.
 */

const partNumber = z.number().int().min(1).max(10_000);
const byteCount = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
// One check, not regex + refine: zod runs refinements even after a failed regex, and BigInt()
// of a non-number throws.
const crc64 = z
  .string()
  .refine((s) => /^\d{1,20}$/.test(s) && BigInt(s) < 2n ** 64n, 'must be an unsigned decimal CRC64 (64 bits)');
const etag = z
  .string()
  .min(1)
  .max(128)
  .regex(/^"?[A-Za-z0-9-]+"?$/, 'must be an ETag as COS returns it');

export const uploadIdParams = z.object({ id: z.string().regex(/^upl_[0-9a-z]{20,40}$/, 'not an upload id') });

export const createUploadBody = z.strictObject({
  fileName: z
    .string()
    .min(1)
    .max(255)
    .refine((s) => s.trim().length > 0, 'must not be blank'),
  size: byteCount.optional(),
  maxSize: byteCount.min(1).optional(),
  contentType: z
    .string()
    .max(255)
    .regex(/^[\w.+-]+\/[\w.+-]+(\s*;.*)?$/, 'must be a media type like image/png')
    .optional(),
  partSize: z.number().int().min(1).optional(),
  metadata: z
    .record(z.string().regex(/^[a-z0-9-]{1,64}$/, 'keys are [a-z0-9-]'), z.string().max(256))
    .refine((m) => Object.keys(m).length <= 10, 'at most 10 keys')
    .refine(
      (m) => Object.values(m).every((v) => /^[\x20-\x7e]*$/.test(v)),
      'values must be printable ASCII (they become x-cos-meta-* headers)',
    )
    .optional(),
  crc64: crc64.optional(),
});

export const partUrlsBody = z.strictObject({
  partNumbers: z
    .array(partNumber)
    .min(1)
    .max(1000)
    .refine((a) => new Set(a).size === a.length, 'part numbers must be unique'),
  finalPartSize: byteCount.optional(),
});

export const partEntry = z.strictObject({
  partNumber,
  etag,
  size: byteCount.optional(),
  crc64: crc64.optional(),
});

export const recordPartsBody = z.strictObject({ parts: z.array(partEntry).min(1).max(1000) });

export const completeBody = z
  .strictObject({
    parts: z
      .array(z.strictObject({ partNumber, etag, size: byteCount.optional(), crc64: crc64.optional() }))
      .max(10_000)
      .optional(),
  })
  .optional();

const iso = z.string().describe('ISO-8601 UTC');

export const uploadObject = z.object({
  id: z.string(),
  state: z.enum(['open', 'completing', 'completed', 'aborted', 'expired']),
  strategy: z.enum(['single', 'multipart']),
  bucket: z.string(),
  region: z.string(),
  key: z.string(),
  cosUploadId: z.string().nullable(),
  fileName: z.string(),
  contentType: z.string(),
  size: z.number().int().nullable(),
  maxSize: z.number().int(),
  partSize: z.number().int(),
  partCount: z.number().int().nullable(),
  metadata: z.record(z.string(), z.string()),
  createdAt: iso,
  updatedAt: iso,
  expiresAt: iso,
  completedAt: iso.nullable(),
  etag: z.string().nullable(),
  crc64: z.string().nullable(),
  location: z.string().nullable(),
});

export const errorBody = z.object({
  error: z.object({ code: z.string(), message: z.string(), details: z.record(z.string(), z.unknown()) }),
});

export const uploadResponse = z.object({ upload: uploadObject });
export const getUploadResponse = z.object({
  upload: uploadObject,
  parts: z.array(
    z.object({
      partNumber: z.number().int(),
      etag: z.string(),
      size: z.number().int().nullable(),
      crc64: z.string().optional(),
    }),
  ),
});
export const partUrlsResponse = z.object({
  urls: z.array(
    z.object({
      partNumber: z.number().int(),
      method: z.literal('PUT'),
      url: z.string(),
      headers: z.record(z.string(), z.string()),
      expiresAt: iso,
    }),
  ),
});
export const recordPartsResponse = z.object({ recorded: z.number().int() });
