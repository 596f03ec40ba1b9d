import { UPLOAD_STATES, type UploadState } from '../ports.ts';

/**
 * Key layout of the single uploads table (see dynamodb-table.json):
 *
 *   pk = UPLOAD#<id>   sk = META          the upload item
 *   pk = UPLOAD#<id>   sk = PARTS#<c>     part-ledger chunk c: parts 100c+1 .. 100c+100
 *
 * Index keys live only on the META item (chunks are in no index, so recording parts never
 * writes an index):
 *   gsi1 byActivity  OPEN#<shard>                     lastActivityAt#id   only while open
 *   gsi2 byExpiry    OPEN#<shard>                     expiresAt#id        only while open
 *   gsi3 byOwner     OWNER#<owner>                    createdAt#id        always
 *   gsi4 byState     STATE#<state>#<shard>            createdAt#id        always
 *   gsi5 byContent   CONTENT#<size>#<crc64>           <owner>#createdAt#id  only once completed
 *
 * The sort keys are written once and kept (gsi1sk moves with activity); being "in" gsi1/gsi2 is
 * decided by the partition key alone, so re-entering `open` needs no read of the item.
 * ISO timestamps all have the same length, so `<time>#<id>` sorts by time, then id.
 */
export const PARTS_PER_CHUNK = 100;
/**
 * Sweep indexes: open uploads spread over 64 partition keys, so no single key runs hot. With the
 * byActivity key moving at most once a minute per upload (ACTIVITY_INDEX_GRANULARITY_MS), each
 * move being 2 index writes (old key out, new key in), 1,000,000 active uploads write
 * 1e6 × 2 / 60 / 64 ≈ 521 index writes/s per shard: half of a partition's 1,000/s. The README
 * has the arithmetic.
 */
export const OPEN_SHARDS = 64;
/**
 * `lastActivityAt` on the item is exact, but the byActivity sort key follows it at most once a
 * minute: the index is KEYS_ONLY, so an update that leaves gsi1sk alone writes no index at all.
 * The index then lags activity by < 1 min, which only makes the sweep's listing a superset (it
 * re-reads every item and its abort is conditional on the exact value).
 */
export const ACTIVITY_INDEX_GRANULARITY_MS = 60_000;
/**
 * Admin listing by state: few shards, because a listing without a state filter reads
 * 5 states × STATE_SHARDS partitions per page, and admin listing is rare.
 */
export const STATE_SHARDS = 4;
export const STATES: readonly UploadState[] = UPLOAD_STATES;
export const TERMINAL_STATES: readonly UploadState[] = ['completed', 'aborted', 'expired'];
/** Terminal uploads (and their part ledgers) are kept this long for support, then TTL deletes them. */
export const RETAIN_SECONDS = 30 * 24 * 3600;

export const INDEX = {
  byActivity: 'byActivity',
  byExpiry: 'byExpiry',
  byOwner: 'byOwner',
  byState: 'byState',
  byContent: 'byContent',
} as const;

export const META = 'META';
export const uploadPk = (id: string) => `UPLOAD#${id}`;
export const idFromPk = (pk: string) => pk.slice('UPLOAD#'.length);
export const chunkOf = (partNumber: number) => Math.floor((partNumber - 1) / PARTS_PER_CHUNK);
export const chunkSk = (chunk: number) => `PARTS#${chunk}`;
export const CHUNK_PREFIX = 'PARTS#';
/** Attribute holding one part on a chunk item. */
export const partAttr = (partNumber: number) => `p${partNumber}`;
export const PART_ATTR = /^p(\d+)$/;

/** FNV-1a: stable across processes and runtimes, unlike anything seeded. */
export function hashOf(id: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) {
    h ^= id.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export const openPk = (id: string) => `OPEN#${hashOf(id) % OPEN_SHARDS}`;
export const openShardPk = (shard: number) => `OPEN#${shard}`;
export const ownerPk = (owner: string) => `OWNER#${owner}`;
export const statePk = (state: UploadState, id: string) => `STATE#${state}#${hashOf(id) % STATE_SHARDS}`;
export const stateShardPk = (state: UploadState, shard: number) => `STATE#${state}#${shard}`;
/**
 * byContent (dedupe, core/dedupe.ts): the partition key is written when an upload completes (the
 * completing transition knows the final size and CRC64, not the owner), the sort key at create
 * (which knows the owner). The owner is percent-encoded so it holds no `#` and a prefix query for
 * one owner cannot match another (`a#` vs `a#b`). The index projects ALL: a lookup is one Query,
 * and completed items are rarely written again, so the copy costs one index write per upload.
 */
export const contentPk = (size: number, crc64: string) => `CONTENT#${size}#${crc64}`;
export const contentOwnerPrefix = (owner: string) => `${encodeURIComponent(owner)}#`;
export const contentSk = (owner: string, createdAt: string, id: string) =>
  `${contentOwnerPrefix(owner)}${createdAt}#${id}`;

export const timeSk = (time: string, id: string) => `${time}#${id}`;
/** True when the byActivity key lags `now` by a granule or more and should move. */
export function activityIndexStale(gsi1sk: unknown, now: string): boolean {
  if (typeof gsi1sk !== 'string') return true;
  const indexed = Date.parse(gsi1sk.slice(0, gsi1sk.indexOf('#')));
  return !(Date.parse(now) - indexed < ACTIVITY_INDEX_GRANULARITY_MS);
}

/** Inverse of timeSk: the time has no '#', ids may. */
export const idFromTimeSk = (sk: string) => sk.slice(sk.indexOf('#') + 1);

export const ttlAfter = (iso: string) => Math.floor(Date.parse(iso) / 1000) + RETAIN_SECONDS;
