import { DatabaseSync, type StatementSync } from 'node:sqlite';

/**
 * The emulator's metadata (objects, multipart uploads, parts, issued STS tokens) in node:sqlite
 * with WAL, so it survives restarts and concurrent requests see one consistent view. Bytes live
 * in the BlobStore; rows only name their blob.
 */

export interface ObjectRow {
  bucket: string;
  key: string;
  blob: string;
  size: number;
  etag: string;
  crc64: string;
  /** content-type, cache-control, ..., x-cos-meta-* as given at upload (lowercased names). */
  headers: Record<string, string>;
  storageClass: string;
  lastModified: number;
}

export interface UploadRow {
  uploadId: string;
  bucket: string;
  key: string;
  headers: Record<string, string>;
  storageClass: string;
  initiated: number;
}

export interface PartRow {
  uploadId: string;
  partNumber: number;
  blob: string;
  size: number;
  etag: string;
  crc64: string;
  lastModified: number;
}

export interface TokenRow {
  token: string;
  tmpSecretId: string;
  tmpSecretKey: string;
  /** The policy JSON text, or null for an unrestricted AssumeRole session. */
  policy: string | null;
  expiresAt: number;
  issuedAt: number;
  name: string;
}

type Row = Record<string, unknown>;

const str = (r: Row, k: string): string => String(r[k]);
const num = (r: Row, k: string): number => Number(r[k]);
const json = (r: Row, k: string): Record<string, string> => JSON.parse(String(r[k])) as Record<string, string>;

const toObject = (r: Row): ObjectRow => ({
  bucket: str(r, 'bucket'),
  key: str(r, 'key'),
  blob: str(r, 'blob'),
  size: num(r, 'size'),
  etag: str(r, 'etag'),
  crc64: str(r, 'crc64'),
  headers: json(r, 'headers'),
  storageClass: str(r, 'storage_class'),
  lastModified: num(r, 'last_modified'),
});
const toUpload = (r: Row): UploadRow => ({
  uploadId: str(r, 'upload_id'),
  bucket: str(r, 'bucket'),
  key: str(r, 'key'),
  headers: json(r, 'headers'),
  storageClass: str(r, 'storage_class'),
  initiated: num(r, 'initiated'),
});
const toPart = (r: Row): PartRow => ({
  uploadId: str(r, 'upload_id'),
  partNumber: num(r, 'part_number'),
  blob: str(r, 'blob'),
  size: num(r, 'size'),
  etag: str(r, 'etag'),
  crc64: str(r, 'crc64'),
  lastModified: num(r, 'last_modified'),
});
const toToken = (r: Row): TokenRow => ({
  token: str(r, 'token'),
  tmpSecretId: str(r, 'tmp_secret_id'),
  tmpSecretKey: str(r, 'tmp_secret_key'),
  policy: r.policy === null ? null : str(r, 'policy'),
  expiresAt: num(r, 'expires_at'),
  issuedAt: num(r, 'issued_at'),
  name: str(r, 'name'),
});

const SCHEMA = `
CREATE TABLE IF NOT EXISTS objects (
  bucket TEXT NOT NULL, key TEXT NOT NULL, blob TEXT NOT NULL, size INTEGER NOT NULL, etag TEXT NOT NULL,
  crc64 TEXT NOT NULL, headers TEXT NOT NULL, storage_class TEXT NOT NULL, last_modified INTEGER NOT NULL,
  PRIMARY KEY (bucket, key)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS uploads (
  upload_id TEXT PRIMARY KEY, bucket TEXT NOT NULL, key TEXT NOT NULL, headers TEXT NOT NULL,
  storage_class TEXT NOT NULL, initiated INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS uploads_by_key ON uploads (bucket, key, upload_id);
CREATE TABLE IF NOT EXISTS parts (
  upload_id TEXT NOT NULL, part_number INTEGER NOT NULL, blob TEXT NOT NULL, size INTEGER NOT NULL,
  etag TEXT NOT NULL, crc64 TEXT NOT NULL, last_modified INTEGER NOT NULL,
  PRIMARY KEY (upload_id, part_number)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS tokens (
  token TEXT PRIMARY KEY, tmp_secret_id TEXT NOT NULL, tmp_secret_key TEXT NOT NULL, policy TEXT,
  expires_at INTEGER NOT NULL, issued_at INTEGER NOT NULL, name TEXT NOT NULL);
`;

export interface UploadPage {
  uploads: UploadRow[];
}

export class MetaStore {
  private readonly db: DatabaseSync;
  private readonly stmts = new Map<string, StatementSync>();

  constructor(file: string) {
    this.db = new DatabaseSync(file);
    this.db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 5000;');
    this.db.exec(SCHEMA);
  }

  close(): void {
    this.db.close();
  }

  private q(sql: string): StatementSync {
    let s = this.stmts.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      this.stmts.set(sql, s);
    }
    return s;
  }

  /** Runs fn in one transaction (node:sqlite is synchronous, so nothing interleaves inside it). */
  private tx<T>(fn: () => T): T {
    this.db.exec('BEGIN IMMEDIATE');
    try {
      const out = fn();
      this.db.exec('COMMIT');
      return out;
    } catch (e) {
      this.db.exec('ROLLBACK');
      throw e;
    }
  }

  getObject(bucket: string, key: string): ObjectRow | null {
    const r = this.q('SELECT * FROM objects WHERE bucket = ? AND key = ?').get(bucket, key) as Row | undefined;
    return r ? toObject(r) : null;
  }

  /** Inserts or replaces; returns the blob the old version used (to delete), if any. */
  putObject(o: ObjectRow): string | null {
    return this.tx(() => {
      const old = this.getObject(o.bucket, o.key);
      this.q(
        'INSERT OR REPLACE INTO objects (bucket, key, blob, size, etag, crc64, headers, storage_class, last_modified) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
      ).run(
        o.bucket,
        o.key,
        o.blob,
        o.size,
        o.etag,
        o.crc64,
        JSON.stringify(o.headers),
        o.storageClass,
        o.lastModified,
      );
      return old && old.blob !== o.blob ? old.blob : null;
    });
  }

  /** Returns the deleted object's blob, if there was one. */
  deleteObject(bucket: string, key: string): string | null {
    return this.tx(() => {
      const old = this.getObject(bucket, key);
      if (old) this.q('DELETE FROM objects WHERE bucket = ? AND key = ?').run(bucket, key);
      return old ? old.blob : null;
    });
  }

  createUpload(u: UploadRow): void {
    this.q(
      'INSERT INTO uploads (upload_id, bucket, key, headers, storage_class, initiated) VALUES (?, ?, ?, ?, ?, ?)',
    ).run(u.uploadId, u.bucket, u.key, JSON.stringify(u.headers), u.storageClass, u.initiated);
  }

  getUpload(uploadId: string): UploadRow | null {
    const r = this.q('SELECT * FROM uploads WHERE upload_id = ?').get(uploadId) as Row | undefined;
    return r ? toUpload(r) : null;
  }

  /** Deletes an upload and its parts; returns the part blobs to delete, or null if it did not exist. */
  deleteUpload(uploadId: string): string[] | null {
    return this.tx(() => {
      if (!this.getUpload(uploadId)) return null;
      const blobs = this.allParts(uploadId).map((p) => p.blob);
      this.q('DELETE FROM parts WHERE upload_id = ?').run(uploadId);
      this.q('DELETE FROM uploads WHERE upload_id = ?').run(uploadId);
      return blobs;
    });
  }

  /**
   * Records a part (a re-upload replaces it). Returns the replaced blob, or undefined when the
   * upload no longer exists (aborted or completed while the body streamed in).
   */
  putPart(p: PartRow): string | null | undefined {
    return this.tx(() => {
      if (!this.getUpload(p.uploadId)) return undefined;
      const old = this.q('SELECT blob FROM parts WHERE upload_id = ? AND part_number = ?').get(
        p.uploadId,
        p.partNumber,
      ) as Row | undefined;
      this.q(
        'INSERT OR REPLACE INTO parts (upload_id, part_number, blob, size, etag, crc64, last_modified) VALUES (?, ?, ?, ?, ?, ?, ?)',
      ).run(p.uploadId, p.partNumber, p.blob, p.size, p.etag, p.crc64, p.lastModified);
      return old ? str(old, 'blob') : null;
    });
  }

  /** Parts with number > marker, ascending, at most limit + 1 (the extra one tells "truncated"). */
  listParts(uploadId: string, marker: number, limit: number): PartRow[] {
    return (
      this.q('SELECT * FROM parts WHERE upload_id = ? AND part_number > ? ORDER BY part_number LIMIT ?').all(
        uploadId,
        marker,
        limit + 1,
      ) as Row[]
    ).map(toPart);
  }

  allParts(uploadId: string): PartRow[] {
    return (this.q('SELECT * FROM parts WHERE upload_id = ? ORDER BY part_number').all(uploadId) as Row[]).map(toPart);
  }

  /** Uploads in (key, uploadId) order after the markers, lazily (the caller pages and folds prefixes). */
  *iterateUploads(bucket: string, prefix: string, keyMarker: string, uploadIdMarker: string): Generator<UploadRow> {
    const rows = this.q(
      `SELECT * FROM uploads WHERE bucket = ? AND substr(key, 1, length(?)) = ?
         AND (key > ? OR (key = ? AND upload_id > ?)) ORDER BY key, upload_id`,
    ).iterate(bucket, prefix, prefix, keyMarker, keyMarker, uploadIdMarker) as Iterable<Row>;
    for (const r of rows) yield toUpload(r);
  }

  /**
   * Completion's commit: the object replaces any previous version and the upload with its parts
   * disappears, atomically. Returns blobs to delete, or null when the upload is already gone.
   */
  commitUpload(uploadId: string, o: ObjectRow): string[] | null {
    return this.tx(() => {
      if (!this.getUpload(uploadId)) return null;
      const garbage = this.allParts(uploadId).map((p) => p.blob);
      const old = this.getObject(o.bucket, o.key);
      if (old) garbage.push(old.blob);
      this.q('DELETE FROM parts WHERE upload_id = ?').run(uploadId);
      this.q('DELETE FROM uploads WHERE upload_id = ?').run(uploadId);
      this.q(
        'INSERT OR REPLACE INTO objects (bucket, key, blob, size, etag, crc64, headers, storage_class, last_modified) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
      ).run(
        o.bucket,
        o.key,
        o.blob,
        o.size,
        o.etag,
        o.crc64,
        JSON.stringify(o.headers),
        o.storageClass,
        o.lastModified,
      );
      return garbage;
    });
  }

  putToken(t: TokenRow): void {
    this.q(
      'INSERT INTO tokens (token, tmp_secret_id, tmp_secret_key, policy, expires_at, issued_at, name) VALUES (?, ?, ?, ?, ?, ?, ?)',
    ).run(t.token, t.tmpSecretId, t.tmpSecretKey, t.policy, t.expiresAt, t.issuedAt, t.name);
  }

  getToken(token: string): TokenRow | null {
    const r = this.q('SELECT * FROM tokens WHERE token = ?').get(token) as Row | undefined;
    return r ? toToken(r) : null;
  }

  /** Tokens are kept a day past expiry (so "expired" can be told from "unknown"), then dropped. */
  purgeTokens(before: number): void {
    this.q('DELETE FROM tokens WHERE expires_at < ?').run(before);
  }
}
