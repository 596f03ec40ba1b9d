import { EVENT_STATES, EVENT_TYPES } from '../ports.ts';
import * as z from '../zod.ts';
import { uploadObject } from './response-schemas.ts';

/** What the admin routes answer (docs/API.md, Admin); like response-schemas.ts, no route builds them. */

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

const counterName = z.nullable(z.string()).check(z.describe('the profile; null is the owner-wide counter'));

/** The repair's report (ports.ts OpenCountRepair). */
export const quotaRepairResponse = z.object({
  owner: z.string(),
  open: z.number().check(z.int()),
  corrected: z.array(z.object({ profile: counterName, was: z.number(), now: z.number() })),
  skipped: z.array(z.object({ profile: counterName })),
});

export const adminEventObject = z.object({
  id: z.string().check(z.describe('the webhook-id every attempt carries')),
  type: z.enum(EVENT_TYPES),
  uploadId: z.string(),
  state: z.enum(EVENT_STATES),
  attempts: z.number().check(z.int(), z.gte(0)),
  nextAttemptAt: z.nullable(z.iso.datetime()),
  lastError: z.nullable(z.string()),
  createdAt: z.iso.datetime(),
  deliveredAt: z.nullable(z.iso.datetime()),
});
export type AdminEvent = z.output<typeof adminEventObject>;

export const adminEventsResponse = z.object({
  events: z.array(adminEventObject),
  nextCursor: z.nullable(z.string()),
});

export const redeliverResponse = z.object({ event: adminEventObject });
