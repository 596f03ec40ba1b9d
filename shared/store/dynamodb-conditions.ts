import type { UploadState } from '../ports.ts';

/**
 * Condition expressions, built from named parts. Each part says which race it closes; the
 * attribute names they use (#state, #expiresAt, #size) and values (:open, :now, :size, :null)
 * are supplied by `conditionNames` / the caller.
 */

/** create: ids are fresh, so a second put of the same id is a bug that must not overwrite the first. */
export const isNew = 'attribute_not_exists(pk)';

/** Updates on an unknown id must fail instead of upserting a stub item with only the SET attributes. */
export const exists = 'attribute_exists(pk)';

/**
 * Parts, URLs and size fixes only count while open: once a complete or abort has won, a slower
 * request that read "open" earlier must not move activity or fix the size afterwards.
 */
export const isOpen = '#state = :open';

/** Expiry is enforced at write time, not only by the sweep, so there is no window after `expiresAt`. */
export const isUnexpired = ':now < #expiresAt';

/** First finalPartSize wins: concurrent part-url calls with different sizes cannot both fix it. */
export const sizeUnfixedOrSame = '(attribute_not_exists(#size) OR attribute_type(#size, :null) OR #size = :size)';

/**
 * Transitions: the state is still one the caller decided from. Two completes, or a complete
 * racing an abort, both read `open`; only the first write still sees it, the other gets null.
 */
export function isInFromStates(from: readonly UploadState[]): { expression: string; values: Record<string, string> } {
  const values: Record<string, string> = {};
  from.forEach((s, i) => {
    values[`:from${i}`] = s;
  });
  return { expression: `#state IN (${Object.keys(values).join(', ')})`, values };
}

/**
 * The stale sweep's abort: still idle. A part recorded after the sweep read the upload moved
 * `lastActivityAt`, and that activity must win over the sweep.
 */
export const isIdleBefore = '#lastActivityAt < :idleBefore';

/**
 * A completion worker takes the merge only while no other worker holds it (or the holder's lease
 * ran out: it died). Two workers started by a stream record and a sweep re-drive never both merge.
 */
export const isLeaseFree =
  '(attribute_not_exists(#leaseUntil) OR attribute_type(#leaseUntil, :null) OR #leaseUntil < :leaseFreeAt)';

/**
 * The quota: a create's counter increment holds only while the owner (or the owner's profile) has
 * a free slot. Racing creates each read a count below the limit; in the transaction only as many as
 * there were free slots still see one, the rest are cancelled (false: 429).
 */
export const hasFreeSlot = '(attribute_not_exists(#open) OR #open < :max)';

/**
 * A transition moves the counters by what it read of the upload's mark (`quotaHeld`): the mark is
 * still what it read, so two transitions racing out of `open` (or a reopen racing a complete) move
 * a counter once, and an unmarked upload from before the counters moves none.
 */
export const holdsSlot = '#quotaHeld = :true';
export const holdsNoSlot = '(attribute_not_exists(#quotaHeld) OR #quotaHeld = :false)';

/**
 * A counter repair writes the recount only if no create or transition moved the counter since the
 * repair read it; otherwise that change, not the repair, is the truth, and the repair leaves it.
 */
export const isUnchangedSince = '#changedAt = :seen';
export const isNeverChanged = 'attribute_not_exists(#changedAt)';

/**
 * Idempotency-Key claim: two requests with the same key race to claim it; the put wins only while
 * the key is free — never used, expired (TTL deletes late), or claimed by a request that neither
 * answered nor renewed before its lease ran out (it crashed) — so only one request runs the create.
 */
export const isKeyFree =
  '(attribute_not_exists(pk) OR #expiresAt <= :now OR (attribute_not_exists(#status) AND #leaseUntil <= :now))';

/**
 * Finishing (or releasing) a key: still our claim and not finished. A request whose lease ran out
 * while another one claimed the key must not overwrite or delete the other's claim.
 */
export const isOwnUnfinishedClaim = '#claim = :claim AND attribute_not_exists(#status)';

export const all = (...parts: string[]) => parts.join(' AND ');

export const conditionNames = { '#state': 'state', '#expiresAt': 'expiresAt' } as const;

export function isConditionFailure(e: unknown): boolean {
  return e instanceof Error && e.name === 'ConditionalCheckFailedException';
}
