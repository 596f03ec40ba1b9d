import type { DatabaseSync, SQLInputValue, SQLOutputValue } from 'node:sqlite';
import {
  EVENT_STATES,
  EVENT_TYPES,
  type EventPatch,
  type EventState,
  type EventStore,
  type Page,
  type WebhookEvent,
} from '../ports.ts';
import * as z from '../zod.ts';
import { decodeCursor, encodeCursor } from './cursor.ts';
import { parseUploadRecord } from './upload-record-schema.ts';
import { assertLimit } from './validate.ts';

type Row = Record<string, SQLOutputValue>;

const positionSchema = z.tuple([z.string(), z.string()]);

const PATCH_COLUMNS: Record<keyof EventPatch, string> = {
  state: 'state',
  attempts: 'attempts',
  nextAttemptAt: 'next_attempt_at',
  lastError: 'last_error',
  deliveredAt: 'delivered_at',
};

/** The one statement that adds an event: a second copy (same id) is ignored, never an error. */
export const INSERT_EVENT_SQL = `INSERT INTO events
  (id, type, upload_id, upload, state, attempts, next_attempt_at, last_error, created_at, delivered_at)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`;

export const eventValues = (e: WebhookEvent): SQLInputValue[] => [
  e.id,
  e.type,
  e.uploadId,
  JSON.stringify(e.upload),
  e.state,
  e.attempts,
  e.nextAttemptAt,
  e.lastError,
  e.createdAt,
  e.deliveredAt,
];

const str = (v: SQLOutputValue | undefined) => (v === null || v === undefined ? null : String(v));

function fromEventRow(r: Row): WebhookEvent {
  const type = EVENT_TYPES.find((t) => t === r.type);
  const state = EVENT_STATES.find((s) => s === r.state);
  if (!type || !state) throw new Error(`sqlite: stored event ${String(r.id)} is malformed`);
  return {
    id: String(r.id),
    type,
    uploadId: String(r.upload_id),
    upload: parseUploadRecord(JSON.parse(String(r.upload)), 'sqlite event'),
    state,
    attempts: Number(r.attempts),
    nextAttemptAt: str(r.next_attempt_at),
    lastError: str(r.last_error),
    createdAt: String(r.created_at),
    deliveredAt: str(r.delivered_at),
  };
}

/**
 * The SQLite outbox, on the upload store's own connection (the store writes rows in its
 * transitions' transactions; this reads them and records deliveries). `guard` is the store's
 * error translation. Every update is one conditional statement, as the store's are.
 */
export class SqliteEventStore implements EventStore {
  readonly #db: DatabaseSync;
  readonly #guard: <T>(fn: () => T) => T;

  constructor(db: DatabaseSync, guard: <T>(fn: () => T) => T) {
    this.#db = db;
    this.#guard = guard;
  }

  async record(event: WebhookEvent): Promise<boolean> {
    return this.#guard(() => Number(this.#db.prepare(INSERT_EVENT_SQL).run(...eventValues(event)).changes) > 0);
  }

  async get(id: string): Promise<WebhookEvent | null> {
    return this.#guard(() => {
      const row = this.#db.prepare('SELECT * FROM events WHERE id = ?').get(id);
      return row ? fromEventRow(row) : null;
    });
  }

  async update(
    id: string,
    expected: { state: EventState; attempts: number },
    patch: EventPatch,
  ): Promise<WebhookEvent | null> {
    return this.#guard(() => {
      const entries = Object.entries(patch).filter(([, v]) => v !== undefined) as [keyof EventPatch, SQLInputValue][];
      if (entries.length === 0) throw new TypeError('an event update needs at least one field');
      const row = this.#db
        .prepare(
          `UPDATE events SET ${entries.map(([k]) => `${PATCH_COLUMNS[k]} = ?`).join(', ')}
           WHERE id = ? AND state = ? AND attempts = ? RETURNING *`,
        )
        .get(...entries.map(([, v]) => v), id, expected.state, expected.attempts);
      return row ? fromEventRow(row) : null;
    });
  }

  async listDue(now: string, limit: number): Promise<WebhookEvent[]> {
    return this.#guard(() => {
      assertLimit(limit);
      return this.#db
        .prepare(
          `SELECT * FROM events WHERE state = 'pending' AND next_attempt_at <= ?
           ORDER BY next_attempt_at, id LIMIT ?`,
        )
        .all(now, limit)
        .map(fromEventRow);
    });
  }

  async list(filter: { state?: EventState; limit: number; cursor?: string }): Promise<Page<WebhookEvent>> {
    return this.#guard(() => {
      assertLimit(filter.limit);
      const where: string[] = [];
      const values: SQLInputValue[] = [];
      if (filter.state) {
        where.push('state = ?');
        values.push(filter.state);
      }
      if (filter.cursor) {
        where.push('(created_at, id) < (?, ?)');
        values.push(...decodeCursor(filter.cursor, positionSchema));
      }
      const rows = this.#db
        .prepare(
          `SELECT * FROM events ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
           ORDER BY created_at DESC, id DESC LIMIT ?`,
        )
        .all(...values, filter.limit + 1);
      const items = rows.slice(0, filter.limit);
      const last = items.at(-1);
      const nextCursor =
        rows.length > filter.limit && last ? encodeCursor([String(last.created_at), String(last.id)]) : null;
      return { items: items.map(fromEventRow), nextCursor };
    });
  }
}
