import { DatabaseSync, type StatementSync } from 'node:sqlite';
import {
  type ObjectRow,
  type PartRow,
  type Row,
  SCHEMA,
  str,
  type TokenRow,
  toObject,
  toPart,
  toToken,
  toUpload,
  type UploadRow,
} from './meta-rows.ts';

export type { ObjectRow, PartRow, TokenRow, UploadRow };

/**
 * The emulator's metadata (objects, multipart uploads, parts, issued STS tokens) in node:sqlite
 * with WAL, so it survives restarts and concurrent requests see one consistent view. Bytes live
 * in the BlobStore; rows only name their blob.
 */

export class MetaStore {
  private readonly db: DatabaseSync;
  private readonly stmts = new Map<string, StatementSync>();

  constructor(file: string) {
    this.db = new DatabaseSync(file);
    this.db.exec('PRAGMA busy_timeout = 5000; PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;');
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
