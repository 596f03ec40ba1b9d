import { decodeCursor, encodeCursor, invalidCursor } from './cursor.ts';
import { idFromTimeSk, META, uploadPk } from './dynamodb-keys.ts';
import type { Item, TableClient } from './dynamodb-table-client.ts';
import * as z from '../zod.ts';

/**
 * One sorted listing read from several index partitions ("streams": the shards of an index, or
 * states × shards) and merged by sort key, which is what lets the indexes be sharded with no Scan.
 *
 * The cursor holds one position per stream: 0 = not read yet, 1 = exhausted, or the sort key of
 * the last item taken from it (the query resumes strictly after it). Each page asks every live
 * stream for up to limit+1 items, takes the `limit` best overall, and advances each stream only
 * past what was taken — so nothing is skipped and nothing is returned twice.
 */
export interface MergedQuery {
  index: string;
  pkAttr: string;
  skAttr: string;
  /** Partition key value of each stream. */
  streams: readonly string[];
  /** true = ascending sort key (oldest first). */
  forward: boolean;
  /** Sort key must be strictly below this (key condition, not a filter). */
  skBelow?: string;
  /** Optional filter on projected attributes; names/values must not clash with #pk/#sk/:pk/:below. */
  filter?: { expression: string; names: Record<string, string>; values: Record<string, unknown> };
  limit: number;
  cursor?: string;
  /** The table key of the item an index entry names (default: the upload's META item). */
  tableKey?: (id: string) => Record<string, string>;
}

type Position = 0 | 1 | string;
const positionsSchema = z.array(z.union([z.literal(0), z.literal(1), z.string().check(z.minLength(1))]));

interface Fetched {
  stream: number;
  sks: string[];
  /** Where to resume after everything fetched; null = exhausted. */
  end: string | null;
}

export async function mergedQuery(
  db: TableClient,
  q: MergedQuery,
): Promise<{ ids: string[]; nextCursor: string | null }> {
  const positions: Position[] = q.cursor ? decodeCursor(q.cursor, positionsSchema) : q.streams.map((): Position => 0);
  // A cursor from another listing (other filter, other index) is as invalid as a tampered one.
  if (positions.length !== q.streams.length) throw invalidCursor();

  const fetched = await Promise.all(
    positions.map((pos, stream) => (pos === 1 ? null : fetchStream(db, q, stream, pos))),
  );
  const candidates = fetched
    .flatMap((f) => (f ? f.sks.map((sk) => ({ stream: f.stream, sk })) : []))
    .sort((a, b) => (a.sk < b.sk ? -1 : a.sk > b.sk ? 1 : 0) * (q.forward ? 1 : -1));
  const taken = candidates.slice(0, q.limit);

  const takenPerStream = new Map<number, number>();
  for (const t of taken) takenPerStream.set(t.stream, (takenPerStream.get(t.stream) ?? 0) + 1);
  const next = positions.map((pos, stream): Position => {
    const f = fetched[stream];
    if (!f) return pos;
    const k = takenPerStream.get(stream) ?? 0;
    if (k === f.sks.length) return f.end ?? 1;
    return k > 0 ? f.sks[k - 1]! : pos;
  });
  return {
    ids: taken.map((t) => idFromTimeSk(t.sk)),
    nextCursor: next.every((p) => p === 1) ? null : encodeCursor(next),
  };
}

async function fetchStream(db: TableClient, q: MergedQuery, stream: number, pos: 0 | string): Promise<Fetched> {
  const pk = q.streams[stream]!;
  const names: Record<string, string> = { '#pk': q.pkAttr, ...q.filter?.names };
  const values: Record<string, unknown> = { ':pk': pk, ...q.filter?.values };
  let condition = '#pk = :pk';
  if (q.skBelow !== undefined) {
    names['#sk'] = q.skAttr;
    values[':below'] = q.skBelow;
    condition += ' AND #sk < :below';
  }
  const sks: string[] = [];
  let start: string | null = pos === 0 ? null : pos;
  // DynamoDB rejects a start key outside the key condition; that only happens when a cursor is
  // replayed with a lower bound than it was made with, and then the answer is known without asking.
  if (start !== null && q.skBelow !== undefined && start >= q.skBelow) {
    if (q.forward) return { stream, sks, end: null };
    start = null;
  }
  // A filter is applied after Limit, so a filtered stream may need several queries to fill a page.
  do {
    const out = await db.query({
      IndexName: q.index,
      KeyConditionExpression: condition,
      FilterExpression: q.filter?.expression,
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
      ScanIndexForward: q.forward,
      Limit: q.limit + 1,
      ExclusiveStartKey: start === null ? undefined : startKey(q, pk, start),
    });
    for (const item of out.items) sks.push(skOf(item, q.skAttr));
    start = out.last ? skOf(out.last, q.skAttr) : null;
  } while (start !== null && sks.length <= q.limit);
  return { stream, sks, end: start };
}

/** An index's ExclusiveStartKey needs the table key too; both follow from the sort key. */
function startKey(q: MergedQuery, pk: string, sk: string): Record<string, string> {
  const id = idFromTimeSk(sk);
  return { [q.pkAttr]: pk, [q.skAttr]: sk, ...(q.tableKey ? q.tableKey(id) : { pk: uploadPk(id), sk: META }) };
}

function skOf(item: Item, attr: string): string {
  const sk = item[attr];
  if (typeof sk !== 'string') throw new Error(`dynamodb: index item without ${attr}`);
  return sk;
}
