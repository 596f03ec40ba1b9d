import { z } from 'zod';
import type { PartRecord, UploadRecord } from '../ports.ts';

/**
 * What an adapter reads back from its database is checked, not trusted: a corrupted row or an
 * item written by an older version fails loudly here instead of leaking a wrong type into the core.
 */
const nullableString = z.string().nullable();
const nullableInt = z.number().int().nonnegative().nullable();

export const uploadRecordSchema = z.object({
  id: z.string().min(1),
  owner: z.string(),
  state: z.enum(['open', 'completing', 'completed', 'aborted', 'expired']),
  strategy: z.enum(['single', 'multipart']),
  bucket: z.string(),
  region: z.string(),
  key: z.string(),
  cosUploadId: nullableString,
  fileName: z.string(),
  contentType: z.string(),
  size: nullableInt,
  maxSize: z.number().int().nonnegative(),
  partSize: z.number().int().nonnegative(),
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
}) satisfies z.ZodType<UploadRecord>;

export const partRecordSchema = z.object({
  partNumber: z.number().int().min(1),
  etag: z.string(),
  size: nullableInt,
  crc64: nullableString,
}) satisfies z.ZodType<PartRecord>;

export function parseUploadRecord(value: unknown, source: string): UploadRecord {
  const r = uploadRecordSchema.safeParse(value);
  if (!r.success) throw new Error(`${source}: stored upload is malformed: ${z.prettifyError(r.error)}`);
  return r.data;
}
