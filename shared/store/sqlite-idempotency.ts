import type { DatabaseSync } from 'node:sqlite';
import { idempotencyKeyInUse } from '../errors.ts';
import type { IdempotencyClaim, IdempotencyFinish, IdempotencyRecord } from '../ports.ts';
import { packBody, unpackBody } from './stored-response.ts';

/** How many expired keys one claim deletes on the way (the table never grows past a day of keys for long). */
const PURGE_BATCH = 100;

/**
 * The Idempotency-Key statements of the SQLite store, each run inside the store's transaction.
 * A claim is an upsert whose WHERE is "the key is free", so two racing claims have one winner.
 */
export function claimKey(db: DatabaseSync, c: IdempotencyClaim, now: string): IdempotencyRecord | null {
  db.prepare(
    `DELETE FROM idempotency_keys WHERE (owner, key) IN
       (SELECT owner, key FROM idempotency_keys WHERE expires_at <= ? LIMIT ${PURGE_BATCH})`,
  ).run(now);
  const won = db
    .prepare(
      `INSERT INTO idempotency_keys (owner, key, fingerprint, claim, lease_until, expires_at, status, body)
       VALUES (?, ?, ?, ?, ?, ?, NULL, NULL)
       ON CONFLICT (owner, key) DO UPDATE SET
         fingerprint = excluded.fingerprint, claim = excluded.claim,
         lease_until = excluded.lease_until, expires_at = excluded.expires_at
       WHERE expires_at <= ? OR (status IS NULL AND lease_until <= ?)`,
    )
    .run(c.owner, c.key, c.fingerprint, c.claim, c.leaseUntil, c.expiresAt, now, now);
  if (Number(won.changes) > 0) return null;
  const row = db.prepare('SELECT * FROM idempotency_keys WHERE owner = ? AND key = ?').get(c.owner, c.key);
  if (!row) throw new Error('idempotency key vanished inside a transaction');
  return {
    owner: String(row.owner),
    key: String(row.key),
    fingerprint: String(row.fingerprint),
    claim: String(row.claim),
    leaseUntil: String(row.lease_until),
    expiresAt: String(row.expires_at),
    response:
      row.status === null || !(row.body instanceof Uint8Array)
        ? null
        : { status: Number(row.status), body: unpackBody(row.body) },
  };
}

/** Stores the response, only while the caller's claim still holds the key (else nothing is written). */
export function finishKey(db: DatabaseSync, f: IdempotencyFinish): void {
  const done = db
    .prepare(
      `UPDATE idempotency_keys SET status = ?, body = ?
       WHERE owner = ? AND key = ? AND claim = ? AND status IS NULL`,
    )
    .run(f.response.status, packBody(f.response.body), f.owner, f.key, f.claim);
  if (Number(done.changes) === 0) throw idempotencyKeyInUse();
}

export function releaseKey(db: DatabaseSync, owner: string, key: string, claim: string): void {
  db.prepare('DELETE FROM idempotency_keys WHERE owner = ? AND key = ? AND claim = ? AND status IS NULL').run(
    owner,
    key,
    claim,
  );
}
