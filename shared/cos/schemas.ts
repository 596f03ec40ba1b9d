import { z } from 'zod';

/**
 * Shapes of the COS XML answers this client reads, after shared/cos/xml.ts parsed them with every
 * value as a string. Each schema validates the root element and yields a camelCase result; unknown
 * elements are ignored (COS adds fields over time), missing required ones fail loudly.
 */

/** fast-xml-parser yields one object for a single element and an array for several. */
const many = <T extends z.ZodType>(item: T) =>
  z.preprocess((v) => (v === undefined || v === '' ? [] : Array.isArray(v) ? v : [v]), z.array(item));

const int = z.string().trim().regex(/^\d+$/, 'expected a non-negative integer').transform(Number);
const bool = z
  .string()
  .trim()
  .toLowerCase()
  .pipe(z.enum(['true', 'false']))
  .transform((v) => v === 'true');
/** Markers are absent, empty, or a value; both of the first two mean "none". */
const marker = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v === '' ? null : v));
const text = z.string();

export const initiateMultipartUploadResultSchema = z
  .object({ InitiateMultipartUploadResult: z.object({ Bucket: text, Key: text, UploadId: text.min(1) }) })
  .transform(({ InitiateMultipartUploadResult: r }) => ({ bucket: r.Bucket, key: r.Key, uploadId: r.UploadId }));

const partSchema = z
  .object({ PartNumber: int, ETag: text, Size: int, LastModified: text.optional() })
  .transform((p) => ({ partNumber: p.PartNumber, etag: p.ETag, size: p.Size, lastModified: p.LastModified ?? '' }));

export const listPartsResultSchema = z
  .object({
    ListPartsResult: z.object({
      Part: many(partSchema),
      IsTruncated: bool,
      NextPartNumberMarker: marker,
    }),
  })
  .transform(({ ListPartsResult: r }) => ({
    parts: r.Part,
    isTruncated: r.IsTruncated,
    nextPartNumberMarker: r.NextPartNumberMarker,
  }));

export const completeMultipartUploadResultSchema = z
  .object({
    CompleteMultipartUploadResult: z.object({
      Location: text,
      Bucket: text.optional(),
      Key: text.optional(),
      ETag: text,
    }),
  })
  .transform(({ CompleteMultipartUploadResult: r }) => ({ location: r.Location, etag: r.ETag }));

const uploadSchema = z
  .object({ Key: text, UploadId: text.min(1), Initiated: text.optional() })
  .transform((u) => ({ key: u.Key, uploadId: u.UploadId, initiated: u.Initiated ?? '' }));

export const listMultipartUploadsResultSchema = z
  .object({
    ListMultipartUploadsResult: z.object({
      Upload: many(uploadSchema),
      IsTruncated: bool,
      NextKeyMarker: marker,
      NextUploadIdMarker: marker,
    }),
  })
  .transform(({ ListMultipartUploadsResult: r }) => ({
    uploads: r.Upload,
    isTruncated: r.IsTruncated,
    nextKeyMarker: r.NextKeyMarker,
    nextUploadIdMarker: r.NextUploadIdMarker,
  }));

const errorBody = z
  .object({ Code: text.min(1), Message: text.optional(), RequestId: text.optional() })
  .transform((e) => ({ code: e.Code, message: e.Message ?? '', requestId: e.RequestId ?? null }));

export const errorSchema = z.object({ Error: errorBody }).transform(({ Error: e }) => e);

export type CosErrorBody = z.output<typeof errorSchema>;

/** Complete answers 200 and then either its result or, when assembly failed late, an `<Error>`. */
export const completeAnswerSchema = z.union([
  completeMultipartUploadResultSchema.transform((r) => ({ ok: true as const, ...r })),
  errorSchema.transform((e) => ({ ok: false as const, error: e })),
]);
