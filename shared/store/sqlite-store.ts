import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync, type SQLInputValue, type SQLOutputValue } from 'node:sqlite';
import { storeUnavailable } from '../errors.ts';
import * as z from '../zod.ts';
import type {
  ContentKey,
  IdempotencyClaim,
  IdempotencyFinish,
  IdempotencyRecord,
  ListFilter,
  OpenCountRepair,
  OpenQuota,
  Page,
  PartRecord,
  Transition,
  UploadRecord,
  UploadState,
  UploadStore,
} from '../ports.ts';
import { decodeCursor, encodeCursor } from './cursor.ts';
import { claimKey, finishKey, releaseKey } from './sqlite-idempotency.ts';
import { sqliteMigrations } from './sqlite-migrations.ts';
import { fromRow, insertSql, patchAssignments, toRowValues } from './sqlite-row.ts';
import { assertLimit, assertPartNumbers } from './validate.ts';

type Row = Record<string, SQLOutputValue>;

/** A position in a sorted listing: the last row's sort key and id (the tie-breaker). */
const positionSchema = z.tuple([z.string(), z.string()]);

const BUSY_TIMEOUT_MS = 5_000;

/** SQLITE_BUSY and SQLITE_LOCKED, extended codes included (SQLITE_BUSY_SNAPSHOT is 517 = 5 | 2 << 8). */
const LOCK_CODES = new Set([5, 6]);

/**
 * Another connection kept the lock past busy_timeout: the store is unavailable for now, a 503
 * the caller may retry (as DynamoDB's throttling is). Any other SQLite error is left as it is.
 */
export function translateSqliteError(e: unknown): unknown {
  const errcode = (e as { errcode?: unknown } | null)?.errcode;
  if (e instanceof Error && typeof errcode === 'number' && LOCK_CODES.has(errcode & 0xff)) return storeUnavailable(e);
  return e;
}

export interface SqliteUploadStoreOptions {
  /** A file, or ':memory:'. */
  path: string;
  /** How long a statement waits for another connection's lock before STORE_UNAVAILABLE. Default 5 s. */
  busyTimeoutMs?: number;
}

/**
 * The embedded UploadStore. Every conditional write is a single statement whose WHERE clause is
 * the condition and whose `changes` (or RETURNING row) says whether it won, so two writers — in
 * this process or another one sharing the file — can never both win a transition. Every public
 * method runs through `#guard`, the one place SQLite's errors are translated.
 */
export class SqliteUploadStore implements UploadStore {
  readonly #db: DatabaseSync;

  constructor(opts: SqliteUploadStoreOptions) {
    const busyTimeoutMs = opts.busyTimeoutMs ?? BUSY_TIMEOUT_MS;
    if (!Number.isInteger(busyTimeoutMs) || busyTimeoutMs < 0) {
      throw new TypeError(`busyTimeoutMs must be a non-negative integer, got ${busyTimeoutMs}`);
    }
    this.#db = new DatabaseSync(opts.path);
    try {
      // busy_timeout first: a second process must wait for the write lock (even to switch to WAL)
      // instead of failing with SQLITE_BUSY. WAL lets readers proceed during a write.
      this.#db.exec(`PRAGMA busy_timeout = ${busyTimeoutMs}`);
      if (opts.path !== ':memory:') this.#db.exec('PRAGMA journal_mode = WAL');
      this.#db.exec('PRAGMA synchronous = NORMAL');
      this.#db.exec('PRAGMA foreign_keys = ON');
      this.#migrate();
    } catch (e) {
      this.#db.close();
      throw translateSqliteError(e);
    }
  }

  /** Closes the database; safe to call twice. */
  async close(): Promise<void> {
    if (this.#db.isOpen) this.#db.close();
  }

  /** Runs one method's statements, translating a lock that outlived busy_timeout. */
  #guard<T>(fn: () => T): T {
    try {
      return fn();
    } catch (e) {
      throw translateSqliteError(e);
    }
  }

  #migrate(): void {
    this.#inTransaction(() => {
      const row = this.#db.prepare('PRAGMA user_version').get();
      const version = Number(row?.user_version ?? 0);
      for (let v = version; v < sqliteMigrations.length; v++) this.#db.exec(sqliteMigrations[v]!);
      if (version < sqliteMigrations.length) this.#db.exec(`PRAGMA user_version = ${sqliteMigrations.length}`);
    });
  }

  /** IMMEDIATE takes the write lock up front, so a check-then-write inside cannot interleave. */
  #inTransaction<T>(fn: () => T): T {
    this.#db.exec('BEGIN IMMEDIATE');
    try {
      const result = fn();
      this.#db.exec('COMMIT');
      return result;
    } catch (e) {
      // A failed COMMIT (or a statement SQLite answered by rolling back) may have ended it already.
      if (this.#db.isTransaction) this.#db.exec('ROLLBACK');
      throw e;
    }
  }

  async create(upload: UploadRecord, quota?: OpenQuota, idempotency?: IdempotencyFinish): Promise<boolean> {
    return this.#guard(() =>
      // IMMEDIATE holds the write lock across the counts and the insert: another create (in this
      // process or another) waits, and then counts this one. The count is over the rows
      // themselves, so there is no counter to drift.
      this.#inTransaction(() => {
        if (quota && upload.state === 'open') {
          if (this.#openOf(upload.owner) >= quota.maxOpenPerOwner) return false;
          if (
            quota.maxOpenInProfile !== undefined &&
            this.#openOf(upload.owner, upload.profile) >= quota.maxOpenInProfile
          ) {
            return false;
          }
        }
        try {
          this.#db.prepare(insertSql).run(...toRowValues(upload));
        } catch (e) {
          if (e instanceof Error && /UNIQUE constraint failed/.test(e.message)) {
            throw new Error(`upload ${upload.id} already exists`, { cause: e });
          }
          throw e;
        }
        // Same transaction: the key's response exists exactly when the upload does.
        if (idempotency) finishKey(this.#db, idempotency);
        return true;
      }),
    );
  }

  /** `profile` undefined: all the owner's open uploads; null or a name: those with that profile. */
  #openOf(owner: string, profile?: string | null): number {
    const row =
      profile === undefined
        ? this.#db.prepare(`SELECT count(*) AS n FROM uploads WHERE owner = ? AND state = 'open'`).get(owner)
        : this.#db
            .prepare(`SELECT count(*) AS n FROM uploads WHERE owner = ? AND profile IS ? AND state = 'open'`)
            .get(owner, profile);
    return Number(row?.n ?? 0);
  }

  async claimIdempotencyKey(claim: IdempotencyClaim, now: string): Promise<IdempotencyRecord | null> {
    return this.#guard(() => this.#inTransaction(() => claimKey(this.#db, claim, now)));
  }

  async releaseIdempotencyKey(owner: string, key: string, claim: string): Promise<void> {
    this.#guard(() => releaseKey(this.#db, owner, key, claim));
  }

  async get(id: string): Promise<UploadRecord | null> {
    return this.#guard(() => {
      const row = this.#db.prepare('SELECT * FROM uploads WHERE id = ?').get(id);
      return row ? fromRow(row) : null;
    });
  }

  async transition(id: string, t: Transition): Promise<UploadRecord | null> {
    return this.#guard(() => {
      if (t.from.length === 0) return null;
      const patch = patchAssignments(t.set);
      const where = [`id = ?`, `state IN (${t.from.map(() => '?').join(', ')})`];
      const whereValues: SQLInputValue[] = [id, ...t.from];
      if (t.idleBefore !== undefined) {
        where.push('last_activity_at < ?');
        whereValues.push(t.idleBefore);
      }
      if (t.leaseFreeAt !== undefined) {
        where.push('(lease_until IS NULL OR lease_until < ?)');
        whereValues.push(t.leaseFreeAt);
      }
      const row = this.#db
        .prepare(
          `UPDATE uploads SET state = ?, updated_at = ?${patch.sql.map((s) => `, ${s}`).join('')}
           WHERE ${where.join(' AND ')} RETURNING *`,
        )
        .get(t.to, t.at, ...patch.values, ...whereValues);
      return row ? fromRow(row) : null;
    });
  }

  async putParts(id: string, parts: readonly PartRecord[], now: string): Promise<boolean> {
    return this.#guard(() => {
      assertPartNumbers(parts);
      return this.#inTransaction(() => {
        // The guard and the activity move are one statement; the parts follow in the same
        // transaction, so parts never land on an upload that was closed in between.
        const moved = this.#db
          .prepare(
            `UPDATE uploads SET last_activity_at = ?
             WHERE id = ? AND state = 'open' AND ? < expires_at`,
          )
          .run(now, id, now);
        if (Number(moved.changes) === 0) return false;
        const upsert = this.#db.prepare(
          `INSERT INTO parts (upload_id, part_number, etag, size, crc64) VALUES (?, ?, ?, ?, ?)
           ON CONFLICT (upload_id, part_number)
           DO UPDATE SET etag = excluded.etag, size = excluded.size, crc64 = excluded.crc64`,
        );
        for (const p of parts) upsert.run(id, p.partNumber, p.etag, p.size, p.crc64);
        return true;
      });
    });
  }

  async touch(id: string, now: string, fix?: { size: number; partCount: number }): Promise<boolean> {
    return this.#guard(() => {
      const open = `id = ? AND state = 'open' AND ? < expires_at`;
      const result = fix
        ? this.#db
            .prepare(
              `UPDATE uploads SET last_activity_at = ?, updated_at = ?, size = ?, part_count = ?
               WHERE ${open} AND (size IS NULL OR size = ?)`,
            )
            .run(now, now, fix.size, fix.partCount, id, now, fix.size)
        : this.#db
            .prepare(`UPDATE uploads SET last_activity_at = ?, updated_at = ? WHERE ${open}`)
            .run(now, now, id, now);
      return Number(result.changes) > 0;
    });
  }

  async listParts(id: string): Promise<PartRecord[]> {
    return this.#guard(() => {
      const rows = this.#db
        .prepare('SELECT part_number, etag, size, crc64 FROM parts WHERE upload_id = ? ORDER BY part_number')
        .all(id);
      return rows.map((r) => ({
        partNumber: Number(r.part_number),
        etag: String(r.etag),
        size: r.size === null ? null : Number(r.size),
        crc64: r.crc64 === null ? null : String(r.crc64),
      }));
    });
  }

  async countOpenByOwner(owner: string, profile?: string): Promise<number> {
    return this.#guard(() => this.#openOf(owner, profile));
  }

  /** The quota counts rows, so it is always the truth: nothing to correct. */
  async repairOpenCounts(owner: string): Promise<OpenCountRepair> {
    return { owner, open: await this.countOpenByOwner(owner), corrected: [], skipped: [] };
  }

  async findCompletedByContent(owner: string, content: ContentKey, limit: number): Promise<UploadRecord[]> {
    return this.#guard(() => {
      assertLimit(limit);
      // Served by the partial index uploads_owner_content (sqlite-migrations.ts).
      const rows: Row[] = this.#db
        .prepare(
          `SELECT * FROM uploads WHERE owner = ? AND state = 'completed' AND size = ? AND crc64 = ?
           ORDER BY created_at DESC, id DESC LIMIT ?`,
        )
        .all(owner, content.size, content.crc64, limit);
      return rows.map(fromRow);
    });
  }

  async list(filter: ListFilter): Promise<Page<UploadRecord>> {
    return this.#guard(() => {
      assertLimit(filter.limit);
      const where: string[] = [];
      const values: SQLInputValue[] = [];
      const add = (sql: string, ...v: SQLInputValue[]) => {
        where.push(sql);
        values.push(...v);
      };
      if (filter.state) add('state = ?', filter.state);
      if (filter.owner !== undefined) add('owner = ?', filter.owner);
      if (filter.createdBefore !== undefined) add('created_at < ?', filter.createdBefore);
      if (filter.cursor) add('(created_at, id) < (?, ?)', ...decodeCursor(filter.cursor, positionSchema));
      return this.#page(where, values, 'created_at DESC, id DESC', 'created_at', filter.limit);
    });
  }

  async listOpenInactiveSince(before: string, limit: number, cursor?: string): Promise<Page<UploadRecord>> {
    return this.#guard(() => this.#openPage('last_activity_at', 'last_activity_at < ?', before, limit, cursor));
  }

  async listOpenExpired(now: string, limit: number, cursor?: string): Promise<Page<UploadRecord>> {
    return this.#guard(() => this.#openPage('expires_at', 'expires_at <= ?', now, limit, cursor));
  }

  #openPage(
    column: 'last_activity_at' | 'expires_at',
    bound: string,
    value: string,
    limit: number,
    cursor?: string,
  ): Page<UploadRecord> {
    assertLimit(limit);
    const open: UploadState = 'open';
    const where = ['state = ?', bound];
    const values: SQLInputValue[] = [open, value];
    if (cursor) {
      where.push(`(${column}, id) > (?, ?)`);
      values.push(...decodeCursor(cursor, positionSchema));
    }
    return this.#page(where, values, `${column}, id`, column, limit);
  }

  /** Fetches one row more than asked, so the last page says so instead of leaving a dangling cursor. */
  #page(
    where: string[],
    values: SQLInputValue[],
    order: string,
    sortColumn: string,
    limit: number,
  ): Page<UploadRecord> {
    const rows: Row[] = this.#db
      .prepare(`SELECT * FROM uploads ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY ${order} LIMIT ?`)
      .all(...values, limit + 1);
    const items = rows.slice(0, limit);
    const last = items.at(-1);
    const nextCursor = rows.length > limit && last ? encodeCursor([String(last[sortColumn]), String(last.id)]) : null;
    return { items: items.map(fromRow), nextCursor };
  }
}

/** The local runtime's store: `<dataDir>/uploads.sqlite`, creating the directory if needed. */
export function openSqliteStore(dataDir: string): SqliteUploadStore {
  mkdirSync(dataDir, { recursive: true });
  return new SqliteUploadStore({ path: join(dataDir, 'uploads.sqlite') });
}
