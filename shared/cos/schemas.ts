import * as z from '../zod.ts';

/**
 * Shapes of the COS XML answers this client reads, after shared/cos/xml.ts parsed them with every
 * value as a string. Each schema validates the root element and yields a camelCase result; unknown
 * elements are ignored (COS adds fields over time), missing required ones fail loudly.
 */

/** `schema`, then `fn` over what it yields (classic zod's `.transform`). */
const mapped = <T extends z.ZodMiniType, R>(schema: T, fn: (value: z.output<T>) => R) =>
  z.pipe(schema, z.transform(fn));

/** fast-xml-parser yields one object for a single element and an array for several. */
const many = <T extends z.ZodMiniType>(item: T) =>
  z.pipe(
    z.transform((v: unknown) => (v === undefined || v === '' ? [] : Array.isArray(v) ? v : [v])),
    z.array(item),
  );

const int = mapped(z.string().check(z.trim(), z.regex(/^\d+$/, 'expected a non-negative integer')), Number);
const bool = mapped(
  z.pipe(z.string().check(z.trim(), z.toLowerCase()), z.enum(['true', 'false'])),
  (v) => v === 'true',
);
/** Markers are absent, empty, or a value; both of the first two mean "none". */
const marker = mapped(z.optional(z.string()), (v) => (v === undefined || v === '' ? null : v));
const text = z.string();
const required = text.check(z.minLength(1));

export const initiateMultipartUploadResultSchema = mapped(
  z.object({ InitiateMultipartUploadResult: z.object({ Bucket: text, Key: text, UploadId: required }) }),
  ({ InitiateMultipartUploadResult: r }) => ({ bucket: r.Bucket, key: r.Key, uploadId: r.UploadId }),
);

const partSchema = mapped(
  z.object({ PartNumber: int, ETag: text, Size: int, LastModified: z.optional(text) }),
  (p) => ({ partNumber: p.PartNumber, etag: p.ETag, size: p.Size, lastModified: p.LastModified ?? '' }),
);

export const listPartsResultSchema = mapped(
  z.object({
    ListPartsResult: z.object({
      Part: many(partSchema),
      IsTruncated: bool,
      NextPartNumberMarker: marker,
    }),
  }),
  ({ ListPartsResult: r }) => ({
    parts: r.Part,
    isTruncated: r.IsTruncated,
    nextPartNumberMarker: r.NextPartNumberMarker,
  }),
);

export const completeMultipartUploadResultSchema = mapped(
  z.object({
    // The SDKs read Location as optional (cos-nodejs-sdk-v5 sdk/base.js multipartComplete); we never need it.
    CompleteMultipartUploadResult: z.object({
      Location: z.optional(text),
      Bucket: z.optional(text),
      Key: z.optional(text),
      ETag: text,
    }),
  }),
  ({ CompleteMultipartUploadResult: r }) => ({ location: r.Location ?? null, etag: r.ETag }),
);

const uploadSchema = mapped(z.object({ Key: text, UploadId: required, Initiated: z.optional(text) }), (u) => ({
  key: u.Key,
  uploadId: u.UploadId,
  initiated: u.Initiated ?? '',
}));

export const listMultipartUploadsResultSchema = mapped(
  z.object({
    ListMultipartUploadsResult: z.object({
      Upload: many(uploadSchema),
      IsTruncated: bool,
      NextKeyMarker: marker,
      NextUploadIdMarker: marker,
    }),
  }),
  ({ ListMultipartUploadsResult: r }) => ({
    uploads: r.Upload,
    isTruncated: r.IsTruncated,
    nextKeyMarker: r.NextKeyMarker,
    nextUploadIdMarker: r.NextUploadIdMarker,
  }),
);

const errorBody = mapped(z.object({ Code: required, Message: z.optional(text), RequestId: z.optional(text) }), (e) => ({
  code: e.Code,
  message: e.Message ?? '',
  requestId: e.RequestId ?? null,
}));

export const errorSchema = mapped(z.object({ Error: errorBody }), ({ Error: e }) => e);

export type CosErrorBody = z.output<typeof errorSchema>;

/** Complete answers 200 and then either its result or, when assembly failed late, an `<Error>`. */
export const completeAnswerSchema = z.union([
  mapped(completeMultipartUploadResultSchema, (r) => ({ ok: true as const, ...r })),
  mapped(errorSchema, (e) => ({ ok: false as const, error: e })),
]);

/**
 * Upload Part - Copy answers `<CopyPartResult>` (436/8287). A copy, like Complete, may fail after
 * COS said 200 (436/10881): then the body is an `<Error>`.
 */
export const copyPartAnswerSchema = z.union([
  mapped(z.object({ CopyPartResult: z.object({ ETag: required }) }), ({ CopyPartResult: r }) => ({
    ok: true as const,
    etag: r.ETag,
  })),
  mapped(errorSchema, (e) => ({ ok: false as const, error: e })),
]);
