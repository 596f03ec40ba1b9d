import type { ListFilter, Page, UploadRecord } from '../ports.ts';
import { fromItem } from './dynamodb-item.ts';
import {
  INDEX,
  META,
  OPEN_SHARDS,
  openShardPk,
  ownerPk,
  STATE_SHARDS,
  STATES,
  stateShardPk,
  uploadPk,
} from './dynamodb-keys.ts';
import { type MergedQuery, mergedQuery } from './dynamodb-merged-query.ts';
import type { TableClient } from './dynamodb-table-client.ts';
import { assertLimit } from './validate.ts';

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

/**
 * Admin listing, newest first, always a Query:
 * - with an owner: the owner's partition of byOwner (every state), state as a filter;
 * - without: byState, whose partitions are STATE#<state>#<shard> — one state's shards with a
 *   state filter, all states' shards (5 × 4 partitions, merged) without.
 * `createdBefore` is a key condition on `createdAt#id` in both.
 */
export async function listUploads(db: TableClient, f: ListFilter): Promise<Page<UploadRecord>> {
  assertLimit(f.limit);
  const common = { forward: false, skBelow: f.createdBefore, limit: f.limit, cursor: f.cursor };
  const q: MergedQuery =
    f.owner !== undefined
      ? {
          ...common,
          index: INDEX.byOwner,
          pkAttr: 'gsi3pk',
          skAttr: 'gsi3sk',
          streams: [ownerPk(f.owner)],
          filter: f.state
            ? { expression: '#state = :state', names: { '#state': 'state' }, values: { ':state': f.state } }
            : undefined,
        }
      : {
          ...common,
          index: INDEX.byState,
          pkAttr: 'gsi4pk',
          skAttr: 'gsi4sk',
          streams: (f.state ? [f.state] : STATES).flatMap((s) => range(STATE_SHARDS).map((i) => stateShardPk(s, i))),
        };
  return page(
    db,
    q,
    (u) =>
      (!f.state || u.state === f.state) &&
      (f.owner === undefined || u.owner === f.owner) &&
      (f.createdBefore === undefined || u.createdAt < f.createdBefore),
  );
}

/** The stale sweep: every shard of byActivity, merged oldest first. */
export async function listInactive(db: TableClient, before: string, limit: number, cursor?: string) {
  assertLimit(limit);
  const q = openQuery(INDEX.byActivity, 'gsi1pk', 'gsi1sk', before, limit, cursor);
  return page(db, q, (u) => u.state === 'open' && u.lastActivityAt < before);
}

/**
 * The expiry sweep: every shard of byExpiry. `expiresAt <= now` as a key condition is
 * `expiresAt#id < now + '$'`, because '$' is the character right after '#'.
 */
export async function listExpired(db: TableClient, now: string, limit: number, cursor?: string) {
  assertLimit(limit);
  const q = openQuery(INDEX.byExpiry, 'gsi2pk', 'gsi2sk', `${now}$`, limit, cursor);
  return page(db, q, (u) => u.state === 'open' && u.expiresAt <= now);
}

function openQuery(index: string, pkAttr: string, skAttr: string, below: string, limit: number, cursor?: string) {
  const streams = range(OPEN_SHARDS).map(openShardPk);
  return { index, pkAttr, skAttr, streams, forward: true, skBelow: below, limit, cursor } satisfies MergedQuery;
}

/**
 * Index keys → items. Indexes are eventually consistent, so each item is checked again against
 * the listing's predicate after the (strongly consistent) read, and dropped if it moved on.
 */
async function page(
  db: TableClient,
  q: MergedQuery,
  stillMatches: (u: UploadRecord) => boolean,
): Promise<Page<UploadRecord>> {
  const { ids, nextCursor } = await mergedQuery(db, q);
  const items = await db.batchGet(ids.map((id) => ({ pk: uploadPk(id), sk: META })));
  const byId = new Map(items.map((item) => [String(item.id), fromItem(item)]));
  const records = ids.map((id) => byId.get(id)).filter((u): u is UploadRecord => u !== undefined && stillMatches(u));
  return { items: records, nextCursor };
}
