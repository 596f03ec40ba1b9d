import type { UploadPatch } from '../ports.ts';

/**
 * The fields a transition may write. Adapters iterate this list instead of the patch object, so
 * a caller that smuggles `state` or `owner` into `set` (through a cast) cannot bypass the condition.
 */
export const patchFields = [
  'cosUploadId',
  'size',
  'partCount',
  'crc64',
  'completedAt',
  'etag',
  'location',
  'crc64Verified',
  'lastError',
  'assemblyStartedAt',
  'leaseUntil',
] as const satisfies readonly (keyof UploadPatch)[];
