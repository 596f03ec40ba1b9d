import { client } from './client.ts';
import type { Ctx } from './ctx.ts';
import { type Column, table } from './table.ts';

/** An admin listing route and how the CLI shows it (`list` for uploads, `events` for the outbox). */
export interface Listing<K extends string, T> {
  /** The route, e.g. `/v1/admin/uploads`. */
  path: string;
  /** The answer's array, under the same name in `--json` output. */
  key: K;
  /** What one row is, for the count line: `3 upload(s)`. */
  noun: string;
  columns: Column<T>[];
}

/** The options every listing takes, after its own filters. */
export const PAGE_OPTIONS = {
  limit: { type: 'string' },
  cursor: { type: 'string' },
  all: { type: 'boolean', default: false },
  json: { type: 'boolean', default: false },
} as const;

/**
 * GETs a listing (`query`: its own filters) from `--cursor` on, one page or (`--all`) every page, and prints it as a table
 * with a count line naming the cursor to continue from, or with `--json` as the API's own shape.
 */
export async function pagedList<K extends string, T>(
  io: Ctx,
  listing: Listing<K, T>,
  query: URLSearchParams,
  values: { limit?: string; cursor?: string; all: boolean; json: boolean },
): Promise<void> {
  const call = client(io);
  if (values.limit) query.set('limit', values.limit);
  let cursor = values.cursor ?? null;
  const rows: T[] = [];
  do {
    if (cursor) query.set('cursor', cursor);
    const page = await call<Record<K, T[]> & { nextCursor: string | null }>('GET', `${listing.path}?${query}`);
    rows.push(...page[listing.key]);
    cursor = page.nextCursor;
  } while (values.all && cursor);
  if (values.json) {
    io.out(`${JSON.stringify({ [listing.key]: rows, nextCursor: cursor }, null, 2)}\n`);
    return;
  }
  io.out(`${table(rows, listing.columns)}\n`);
  io.out(`${rows.length} ${listing.noun}(s)${cursor ? `; more with --cursor ${cursor}` : ''}\n`);
}
