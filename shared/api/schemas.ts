import { CONTENT_MD5, COS_MAX_TRAFFIC_LIMIT_BPS, COS_MIN_TRAFFIC_LIMIT_BPS } from '../core/cos-limits.ts';
import {
  COS_STORAGE_CLASSES,
  headerValueIssue,
  httpDateIssue,
  MAX_OBJECT_HEADER_CHARS,
  metadataIssues,
  objectHeaderIssue,
} from '../core/object-headers.ts';
import * as z from '../zod.ts';

/**
 * The request shapes of docs/API.md, once: the handlers validate with them and /v1/openapi.json is
 * generated from them. The response shapes are in response-schemas.ts: only the OpenAPI document
 * and the tests build those, so no route's init constructs schemas it never parses with.
 */

/** A JSON integer (the response shapes use it too). */
export const int = () => z.number().check(z.int());
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
export const uploadId = z.string().check(z.regex(UPLOAD_ID_PATTERN, 'not an upload id'));

/** The most part URLs one answer carries (part-urls' own limit). */
export const MAX_PRESIGN = 1000;

export const uploadIdParams = z.object({ id: uploadId });

/** An object header the server sends at Initiate: the COS adapter's rule (core/object-headers.ts). */
const objectHeader = (issue: (v: string) => string | null = objectHeaderIssue) =>
  z.optional(
    z.string().check(
      z.maxLength(MAX_OBJECT_HEADER_CHARS),
      // One refine, not regex + refine: each problem is reported once, in the core's words.
      z.superRefine((v, ctx) => {
        const problem = issue(v);
        if (problem) ctx.addIssue({ code: 'custom', message: problem, input: v });
      }),
    ),
  );

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
  // COS's names; whether this deployment (or profile) allows it is the core's check at create.
  storageClass: z.optional(z.enum(COS_STORAGE_CLASSES)),
  cacheControl: objectHeader(),
  contentDisposition: objectHeader(),
  contentEncoding: objectHeader(),
  contentLanguage: objectHeader(),
  expires: objectHeader(httpDateIssue),
  // Known names are the deployment's (UPLOAD_PROFILES): an unknown one is refused by the core.
  profile: z.optional(z.string().check(z.minLength(1), z.maxLength(64))),
  // How many part URLs (1..presign) the answer carries, as part-urls would give them (core/create-session.ts).
  presign: z.optional(int().check(z.gte(0), z.lte(MAX_PRESIGN))),
  // Answer with this owner's completed upload of the same file instead (needs size and crc64).
  dedupe: z.optional(z.boolean()),
  mode: z.optional(z.literal('append')),
});

/**
 * POST /v1/uploads/compose: create's fields minus what a compose cannot have (its size is the sum of
 * the ranges, its parts the server's, its CRC64 the sources'), so fields added to create (object
 * headers, profile) apply to a compose too.
 */
export const composeSourceEntry = z.strictObject({
  uploadId,
  range: z.optional(
    z
      .strictObject({ start: byteCount, end: byteCount })
      .check(z.refine((r) => r.start <= r.end, 'start must not be after end (both inclusive)')),
  ),
});

export const composeBody = z.strictObject({
  ...z.omit(createUploadBody, {
    size: true,
    maxSize: true,
    partSize: true,
    crc64: true,
    mode: true,
    presign: true,
    dedupe: true,
  }).shape,
  sources: z.array(composeSourceEntry).check(z.minLength(1), z.maxLength(1000)),
});

/** POST /v1/uploads/{id}/append-url */
export const appendUrlBody = z.strictObject({ position: byteCount, size: byteCount });

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

const uniquePartNumbers = (a: readonly number[]) => new Set(a).size === a.length;

export const partUrlsBody = z
  .strictObject({
    partNumbers: z.optional(
      z
        .array(partNumber)
        .check(z.minLength(1), z.maxLength(1000), z.refine(uniquePartNumbers, 'part numbers must be unique')),
    ),
    // Instead of partNumbers: each URL also binds the part's Content-MD5.
    parts: z.optional(
      z
        .array(
          z.strictObject({
            partNumber,
            md5: z
              .string()
              .check(z.regex(CONTENT_MD5, 'must be the base64 Content-MD5 of the part (16 bytes, 24 characters)')),
          }),
        )
        .check(
          z.minLength(1),
          z.maxLength(1000),
          z.refine((a) => uniquePartNumbers(a.map((p) => p.partNumber)), 'part numbers must be unique'),
        ),
    ),
    finalPartSize: z.optional(byteCount),
    // Bits/s, COS's range for x-cos-traffic-limit (436/40140).
    trafficLimit: z.optional(int().check(z.gte(COS_MIN_TRAFFIC_LIMIT_BPS), z.lte(COS_MAX_TRAFFIC_LIMIT_BPS))),
  })
  .check(
    z.superRefine((b, ctx) => {
      if ((b.partNumbers === undefined) === (b.parts === undefined)) {
        ctx.addIssue({ code: 'custom', path: ['partNumbers'], message: 'give exactly one of partNumbers and parts' });
      }
    }),
  );

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

export const downloadUrlBody = z.optional(
  z.strictObject({
    expiresSeconds: z.optional(int().check(z.gte(1), z.lte(7 * 24 * 3600))),
    disposition: z.optional(z.enum(['inline', 'attachment'])),
  }),
);
