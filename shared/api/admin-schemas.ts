import { DEFAULT_LIST_LIMIT, MAX_LIST_LIMIT } from '../core/list-uploads.ts';
import { parseSweepCursor } from '../core/sweep-cursor.ts';
import * as z from '../zod.ts';
import { UPLOAD_STATES } from '../ports.ts';
import { uploadObject } from './schemas.ts';

/** The admin routes' shapes (docs/API.md, Admin), next to the public ones in schemas.ts. */

/** Ten years: beyond that a threshold is a typo, not a policy. */
const MAX_OLDER_THAN_SECONDS = 10 * 365 * 86_400;

export const adminListQuery = z.strictObject({
  state: z.optional(z.enum(UPLOAD_STATES)),
  owner: z.optional(z.string().check(z.minLength(1), z.maxLength(256))),
  // Normalised to the stores' ISO form: they compare times as strings.
  createdBefore: z.optional(
    z.pipe(
      z.iso.datetime({ offset: true }),
      z.transform((s) => new Date(s).toISOString()),
    ),
  ),
  limit: z._default(z.coerce.number().check(z.int(), z.gte(1), z.lte(MAX_LIST_LIMIT)), DEFAULT_LIST_LIMIT),
  cursor: z.optional(z.string().check(z.minLength(1), z.maxLength(2048))),
});

export const sweepBody = z.optional(
  z.strictObject({
    // At least a minute, like STALE_AFTER_SECONDS: COS uploads younger than that may belong to a
    // create that has not written its record yet.
    olderThanSeconds: z.optional(z.number().check(z.int(), z.gte(60), z.lte(MAX_OLDER_THAN_SECONDS))),
    dryRun: z.optional(z.boolean()),
    cursor: z.optional(
      z.string().check(
        z.maxLength(4096),
        z.refine((s) => parseSweepCursor(s) !== null, 'invalid cursor'),
      ),
    ),
  }),
);

const uploadIds = z.array(uploadObject.shape.id);

export const adminUploadObject = z.extend(uploadObject, {
  owner: z.string(),
  lastActivityAt: z.iso.datetime().check(z.describe('ISO-8601 UTC; the stale sweep reads it')),
});
export type AdminUpload = z.output<typeof adminUploadObject>;

export const adminListResponse = z.object({
  uploads: z.array(adminUploadObject),
  nextCursor: z.nullable(z.string()),
});
export type AdminListResponse = z.output<typeof adminListResponse>;

/** The sweep's report (core/sweep-run.ts SweepReport): the admin route and the schedule return it. */
export const sweepResponse = z.object({
  aborted: uploadIds,
  expired: uploadIds,
  orphans: z.array(z.object({ key: z.string(), uploadId: z.string().check(z.describe('COS multipart UploadId')) })),
  redriven: uploadIds,
  dryRun: z.boolean(),
  more: z.boolean(),
  nextCursor: z.nullable(z.string()),
  errors: z.number().check(z.int(), z.gte(0)),
});
export type SweepResponse = z.output<typeof sweepResponse>;

/** POST /v1/admin/quota-repair: one owner, as the token's `sub` names it. */
export const quotaRepairBody = z.strictObject({
  owner: z.string().check(z.minLength(1), z.maxLength(256)),
});

const counterName = z.nullable(z.string()).check(z.describe('the profile; null is the owner-wide counter'));

/** The repair's report (ports.ts OpenCountRepair). */
export const quotaRepairResponse = z.object({
  owner: z.string(),
  open: z.number().check(z.int()),
  corrected: z.array(z.object({ profile: counterName, was: z.number(), now: z.number() })),
  skipped: z.array(z.object({ profile: counterName })),
});
