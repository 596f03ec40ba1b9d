import type { OpenCountRepair } from '../ports.ts';
import { hasFreeSlot, holdsNoSlot, isNeverChanged, isUnchangedSince } from './dynamodb-conditions.ts';
import { INDEX, META, ownerPk, uploadPk } from './dynamodb-keys.ts';
import type { Item, TableClient, TransactItem } from './dynamodb-table-client.ts';

/**
 * The quota's counters. DynamoDB cannot count rows inside a condition, so each owner has a counter
 * item of its open uploads (and one per profile it uses):
 *
 *   pk = QUOTA#<owner>   sk = ALL               open uploads of the owner
 *   pk = QUOTA#<owner>   sk = PROFILE#<name>    open uploads of the owner with that profile
 *
 * attributes `open` (the count) and `changedAt` (ISO, the last change). A counter changes only in
 * the same TransactWriteItems as the upload it counts: +1 with a create of an open upload (under
 * `open < max` when a quota is given) and ±1 with every transition into or out of `open`. Which
 * uploads a counter holds is marked on the upload itself (`quotaHeld`, true exactly while counted),
 * and each transition's condition includes that mark as it was read — so a counter is moved once
 * per real change, never twice (a reopen after a CRC mismatch counts again once), and an upload from
 * before the counters existed (no mark) never drags one below the truth.
 * Uploads without a profile have the owner-wide counter only.
 */
export const quotaKey = (owner: string, profile: string | null) => ({
  pk: `QUOTA#${owner}`,
  sk: profile === null ? 'ALL' : `PROFILE#${profile}`,
});

/** A counter repair leaves counters that moved within this long alone: the owner index may not show the change yet. */
export const REPAIR_SETTLE_MS = 60_000;

/** One counter's change inside a transaction; `max` guards an increment. */
export function counterChange(
  owner: string,
  profile: string | null,
  delta: 1 | -1,
  at: string,
  max?: number,
): TransactItem {
  return {
    Update: {
      Key: quotaKey(owner, profile),
      UpdateExpression: 'SET #open = if_not_exists(#open, :zero) + :delta, #changedAt = :at',
      ConditionExpression: max === undefined ? undefined : hasFreeSlot,
      ExpressionAttributeNames: { '#open': 'open', '#changedAt': 'changedAt' },
      ExpressionAttributeValues: {
        ':zero': 0,
        ':delta': delta,
        ':at': at,
        ...(max === undefined ? {} : { ':max': max }),
      },
    },
  };
}

/** The counters an upload of this owner and profile holds. */
export function countersOf(owner: string, profile: string | null, delta: 1 | -1, at: string): TransactItem[] {
  const out = [counterChange(owner, null, delta, at)];
  if (profile !== null) out.push(counterChange(owner, profile, delta, at));
  return out;
}

export async function readCount(db: TableClient, owner: string, profile: string | null): Promise<number> {
  const item = await db.get(quotaKey(owner, profile), { expression: '#open', names: { '#open': 'open' } });
  return typeof item?.open === 'number' ? item.open : 0;
}

/** The owner's open uploads, read item by item (consistent) after the owner index named them. */
async function openUploadsOf(db: TableClient, owner: string): Promise<Item[]> {
  const keys: { pk: string; sk: string }[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const out = await db.query({
      IndexName: INDEX.byOwner,
      KeyConditionExpression: 'gsi3pk = :pk',
      FilterExpression: '#state = :open',
      ExpressionAttributeNames: { '#state': 'state' },
      ExpressionAttributeValues: { ':pk': ownerPk(owner), ':open': 'open' },
      ExclusiveStartKey: start,
    });
    for (const i of out.items) keys.push({ pk: String(i.pk), sk: META });
    start = out.last;
  } while (start);
  return (await db.batchGet(keys)).filter((i) => i.state === 'open');
}

/** An open upload from before the counters (no mark) joins them: its mark and its counters in one transaction. */
async function adopt(db: TableClient, item: Item, now: string): Promise<boolean> {
  const owner = String(item.owner);
  const profile = typeof item.profile === 'string' ? item.profile : null;
  const out = await db.transact([
    {
      Update: {
        Key: { pk: uploadPk(String(item.id)), sk: META },
        UpdateExpression: 'SET #quotaHeld = :true',
        // Still open and still unmarked: a transition that ended it meanwhile wins, and nothing is counted.
        ConditionExpression: `#state = :open AND ${holdsNoSlot}`,
        ExpressionAttributeNames: { '#quotaHeld': 'quotaHeld', '#state': 'state' },
        ExpressionAttributeValues: { ':true': true, ':false': false, ':open': 'open' },
      },
    },
    ...countersOf(owner, profile, 1, now),
  ]);
  return out.ok;
}

/**
 * Recomputes one owner's counters from its uploads. Unmarked open uploads are adopted first (race
 * free, per upload); then every counter that disagrees with the marked open uploads is set to the
 * truth under the condition that it has not moved since it was read. A counter that moved within
 * REPAIR_SETTLE_MS is left alone (`skipped`): the owner index is eventually consistent, and a
 * create it does not show yet must not be "corrected" away.
 */
export async function repairCounters(db: TableClient, owner: string, now: string): Promise<OpenCountRepair> {
  for (const item of await openUploadsOf(db, owner)) {
    if (item.quotaHeld !== true) await adopt(db, item, now);
  }
  const held = (await openUploadsOf(db, owner)).filter((i) => i.quotaHeld === true);
  const truth = new Map<string | null, number>([[null, held.length]]);
  for (const i of held) {
    if (typeof i.profile === 'string') truth.set(i.profile, (truth.get(i.profile) ?? 0) + 1);
  }
  const stored = await db.query({
    KeyConditionExpression: 'pk = :pk',
    ExpressionAttributeValues: { ':pk': quotaKey(owner, null).pk },
    ConsistentRead: true,
  });
  const counters = new Map<string | null, Item>();
  for (const c of stored.items) {
    const sk = String(c.sk);
    counters.set(sk === 'ALL' ? null : sk.slice('PROFILE#'.length), c);
  }
  const report: OpenCountRepair = { owner, open: held.length, corrected: [], skipped: [] };
  for (const profile of new Set([...truth.keys(), ...counters.keys()])) {
    const counter = counters.get(profile);
    const was = typeof counter?.open === 'number' ? counter.open : 0;
    const want = truth.get(profile) ?? 0;
    if (was === want) continue;
    const changedAt = typeof counter?.changedAt === 'string' ? counter.changedAt : null;
    // `now` itself is this repair's own adoptions (above), which the recount includes.
    const recent =
      changedAt !== null && changedAt !== now && Date.parse(now) - Date.parse(changedAt) < REPAIR_SETTLE_MS;
    if (recent) {
      report.skipped.push({ profile });
      continue;
    }
    const out = await db.transact([
      {
        Update: {
          Key: quotaKey(owner, profile),
          UpdateExpression: 'SET #open = :want, #changedAt = :now',
          ConditionExpression: changedAt === null ? isNeverChanged : isUnchangedSince,
          ExpressionAttributeNames: { '#open': 'open', '#changedAt': 'changedAt' },
          ExpressionAttributeValues: {
            ':want': want,
            ':now': now,
            ...(changedAt === null ? {} : { ':seen': changedAt }),
          },
        },
      },
    ]);
    if (out.ok) report.corrected.push({ profile, was, now: want });
    else report.skipped.push({ profile });
  }
  return report;
}
