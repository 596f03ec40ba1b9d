import { DEFAULT_LIST_LIMIT, MAX_LIST_LIMIT } from '../core/list-uploads.ts';
import { parseSweepCursor } from '../core/sweep-cursor.ts';
import * as z from '../zod.ts';
import { EVENT_STATES, UPLOAD_STATES } from '../ports.ts';

/**
 * The admin routes' request shapes (docs/API.md, Admin), next to the public ones in schemas.ts; their
 * answers are in admin-response-schemas.ts.
 */

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

/** POST /v1/admin/quota-repair: one owner, as the token's `sub` names it. */
export const quotaRepairBody = z.strictObject({
  owner: z.string().check(z.minLength(1), z.maxLength(256)),
});

/** GET /v1/admin/events (docs/API.md, Events): the webhook outbox, newest first. */
export const adminEventsQuery = z.strictObject({
  state: z.optional(z.enum(EVENT_STATES)),
  limit: z._default(z.coerce.number().check(z.int(), z.gte(1), z.lte(MAX_LIST_LIMIT)), DEFAULT_LIST_LIMIT),
  cursor: z.optional(z.string().check(z.minLength(1), z.maxLength(2048))),
});

/** `evt_<upload id>_<event>` (core/webhook-events.ts), checked loosely: an unknown one is a 404. */
export const EVENT_ID_PATTERN = /^evt_[A-Za-z0-9_-]{1,200}$/;
export const eventIdParams = z.strictObject({
  id: z.string().check(z.regex(EVENT_ID_PATTERN, 'must be an event id (evt_...)')),
});
