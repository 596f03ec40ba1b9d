/**
 * Schema history of the SQLite store. `PRAGMA user_version` holds how many of these have run;
 * append only — never edit a migration that has shipped.
 */
export const sqliteMigrations: readonly string[] = [
  `
  CREATE TABLE uploads (
    id               TEXT PRIMARY KEY,
    owner            TEXT NOT NULL,
    state            TEXT NOT NULL,
    strategy         TEXT NOT NULL,
    bucket           TEXT NOT NULL,
    region           TEXT NOT NULL,
    key              TEXT NOT NULL,
    cos_upload_id    TEXT,
    file_name        TEXT NOT NULL,
    content_type     TEXT NOT NULL,
    size             INTEGER,
    max_size         INTEGER NOT NULL,
    part_size        INTEGER NOT NULL,
    part_count       INTEGER,
    metadata         TEXT NOT NULL,
    crc64            TEXT,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL,
    expires_at       TEXT NOT NULL,
    last_activity_at TEXT NOT NULL,
    completed_at     TEXT,
    etag             TEXT,
    location         TEXT
  ) STRICT;

  CREATE TABLE parts (
    upload_id   TEXT NOT NULL REFERENCES uploads (id) ON DELETE CASCADE,
    part_number INTEGER NOT NULL,
    etag        TEXT NOT NULL,
    size        INTEGER,
    crc64       TEXT,
    PRIMARY KEY (upload_id, part_number)
  ) STRICT, WITHOUT ROWID;

  -- quota: count open uploads of one owner
  CREATE INDEX uploads_owner_state ON uploads (owner, state);
  -- admin listing by owner, newest first
  CREATE INDEX uploads_owner_created ON uploads (owner, created_at, id);
  -- stale sweep
  CREATE INDEX uploads_state_activity ON uploads (state, last_activity_at, id);
  -- expiry sweep
  CREATE INDEX uploads_state_expires ON uploads (state, expires_at, id);
  -- admin listing, newest first
  CREATE INDEX uploads_created ON uploads (created_at, id);
  `,
  // Asynchronous complete: verification outcome, the last background failure, the assembly's
  // start (grace window) and the completion worker's lease.
  `
  ALTER TABLE uploads ADD COLUMN crc64_verified INTEGER;
  ALTER TABLE uploads ADD COLUMN last_error TEXT;
  ALTER TABLE uploads ADD COLUMN assembly_started_at TEXT;
  ALTER TABLE uploads ADD COLUMN lease_until TEXT;
  -- the sweep's re-drive pass: uploads stuck in completing
  CREATE INDEX uploads_state_updated ON uploads (state, updated_at, id);
  `,
  // Upload profiles and the object headers set at Initiate. Rows from before read STANDARD.
  `
  ALTER TABLE uploads ADD COLUMN profile TEXT;
  ALTER TABLE uploads ADD COLUMN storage_class TEXT NOT NULL DEFAULT 'STANDARD';
  ALTER TABLE uploads ADD COLUMN cache_control TEXT;
  ALTER TABLE uploads ADD COLUMN content_disposition TEXT;
  ALTER TABLE uploads ADD COLUMN content_encoding TEXT;
  ALTER TABLE uploads ADD COLUMN content_language TEXT;
  ALTER TABLE uploads ADD COLUMN expires TEXT;
  `,
  // Idempotency-Key on create: the claim while its request runs, then the response it gave
  // (deflated: a create with presigned URLs answers ~0.5 MB). Keys expire after 24 h.
  `
  CREATE TABLE idempotency_keys (
    owner        TEXT NOT NULL,
    key          TEXT NOT NULL,
    fingerprint  TEXT NOT NULL,
    claim        TEXT NOT NULL,
    lease_until  TEXT NOT NULL,
    expires_at   TEXT NOT NULL,
    status       INTEGER,
    body         BLOB,
    PRIMARY KEY (owner, key)
  ) STRICT, WITHOUT ROWID;
  -- purging expired keys
  CREATE INDEX idempotency_keys_expires ON idempotency_keys (expires_at);
  -- the quota per profile
  CREATE INDEX uploads_owner_profile_state ON uploads (owner, profile, state);
  `,
  // Dedupe: an owner's completed uploads by content, newest first (core/dedupe.ts).
  `
  CREATE INDEX uploads_owner_content ON uploads (owner, size, crc64, created_at, id) WHERE state = 'completed';
  `,
];
