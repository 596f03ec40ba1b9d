import { type PartRecord, UPLOAD_STATES, type UploadRecord } from '../ports.ts';
import * as z from '../zod.ts';

/**
 * What an adapter reads back from its database is checked, not trusted: a corrupted row or an
 * item written by an older version fails loudly here instead of leaking a wrong type into the core.
 */
const int = () => z.number().check(z.int());
const nullableString = z.nullable(z.string());
const nullableInt = z.nullable(int().check(z.nonnegative()));
/** Fields added after the first release: items and rows written before them read as null. */
const added = <T extends z.ZodMiniType>(t: T) => z._default(z.nullable(t), null);
const storedError = z.object({ code: z.string(), message: z.string(), details: z.record(z.string(), z.unknown()) });

const uploadFields = {
  id: z.string().check(z.minLength(1)),
  owner: z.string(),
  state: z.enum(UPLOAD_STATES),
  bucket: z.string(),
  region: z.string(),
  key: z.string(),
  fileName: z.string(),
  contentType: z.string(),
  size: nullableInt,
  maxSize: int().check(z.nonnegative()),
  partSize: int().check(z.nonnegative()),
  partCount: nullableInt,
  metadata: z.record(z.string(), z.string()),
  crc64: nullableString,
  createdAt: z.string(),
  updatedAt: z.string(),
  expiresAt: z.string(),
  lastActivityAt: z.string(),
  completedAt: nullableString,
  etag: nullableString,
  location: nullableString,
  crc64Verified: added(z.boolean()),
  lastError: added(storedError),
  assemblyStartedAt: added(z.string()),
  leaseUntil: added(z.string()),
  profile: added(z.string()),
  // Uploads from before object headers were STANDARD: COS's default class (436/7749).
  storageClass: z._default(z.string().check(z.minLength(1)), 'STANDARD'),
  cacheControl: added(z.string()),
  contentDisposition: added(z.string()),
  contentEncoding: added(z.string()),
  contentLanguage: added(z.string()),
  expires: added(z.string()),
  composeSources: added(
    z.array(
      z.object({
        uploadId: z.string(),
        key: z.string(),
        start: int().check(z.nonnegative()),
        end: int().check(z.nonnegative()),
        crc64: nullableString,
      }),
    ),
  ),
};

/** The invariant is checked here, once: a multipart upload always has its COS UploadId. */
export const uploadRecordSchema = z.discriminatedUnion('strategy', [
  z.object({ ...uploadFields, strategy: z.literal('multipart'), cosUploadId: z.string().check(z.minLength(1)) }),
  z.object({ ...uploadFields, strategy: z.literal('single'), cosUploadId: nullableString }),
  z.object({ ...uploadFields, strategy: z.literal('append'), cosUploadId: z.string().check(z.minLength(1)) }),
]) satisfies z.ZodMiniType<UploadRecord>;

export const partRecordSchema = z.object({
  partNumber: int().check(z.gte(1)),
  etag: z.string(),
  size: nullableInt,
  crc64: nullableString,
}) satisfies z.ZodMiniType<PartRecord>;

export function parseUploadRecord(value: unknown, source: string): UploadRecord {
  const r = uploadRecordSchema.safeParse(value);
  if (!r.success) throw new Error(`${source}: stored upload is malformed: ${z.prettifyError(r.error)}`);
  return r.data;
}
