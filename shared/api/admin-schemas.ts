import { z } from 'zod';
import { DEFAULT_LIST_LIMIT, MAX_LIST_LIMIT } from '../core/list-uploads.ts';
import { parseSweepCursor } from '../core/sweep-cursor.ts';
import { uploadObject } from './schemas.ts';

/** The admin routes' shapes (API.md, Admin), next to the public ones in schemas.ts. */

const states = ['open', 'completing', 'completed', 'aborted', 'expired'] as const;
/** Ten years: beyond that a threshold is a typo, not a policy. */
const MAX_OLDER_THAN_SECONDS = 10 * 365 * 86_400;

export const adminListQuery = z.strictObject({
  state: z.enum(states).optional(),
  owner: z.string().min(1).max(256).optional(),
  // Normalised to the stores' ISO form: they compare times as strings.
  createdBefore: z.iso
    .datetime({ offset: true })
    .transform((s) => new Date(s).toISOString())
    .optional(),
  limit: z.coerce.number().int().min(1).max(MAX_LIST_LIMIT).default(DEFAULT_LIST_LIMIT),
  cursor: z.string().min(1).max(2048).optional(),
});

export const sweepBody = z
  .strictObject({
    // At least a minute, like STALE_AFTER_SECONDS: COS uploads younger than that may belong to a
    // create that has not written its record yet.
    olderThanSeconds: z.number().int().min(60).max(MAX_OLDER_THAN_SECONDS).optional(),
    dryRun: z.boolean().optional(),
    cursor: z
      .string()
      .max(4096)
      .refine((s) => parseSweepCursor(s) !== null, 'invalid cursor')
      .optional(),
  })
  .optional();

export const adminUploadObject = uploadObject.extend({ owner: z.string(), lastActivityAt: z.string() });

export const adminListResponse = z.object({ uploads: z.array(adminUploadObject), nextCursor: z.string().nullable() });

export const sweepResponse = z.object({
  aborted: z.array(z.string()),
  expired: z.array(z.string()),
  orphans: z.array(z.object({ key: z.string(), uploadId: z.string() })),
  dryRun: z.boolean(),
  more: z.boolean(),
  nextCursor: z.string().nullable(),
  errors: z.number().int(),
});
