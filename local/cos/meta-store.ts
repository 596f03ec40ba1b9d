import { DatabaseSync, type StatementSync } from 'node:sqlite';
import {
  MIGRATIONS,
  type ObjectRow,
  type PartRow,
  type Row,
  SCHEMA,
  type SegmentRow,
  str,
  type TokenRow,
  toObject,
  toPart,
  toSegment,
  toToken,
  toUpload,
  type UploadRow,
} from './meta-rows.ts';

export type { ObjectRow, PartRow, SegmentRow, TokenRow, UploadRow };

export interface AppendInput {
  bucket: string;
  key: string;
  position: number;
  piece: { blob: string; size: number; crc64: string };
  /** The object may not grow past this (5 GiB for appendable objects, 436/7741). */
  maxBytes: number;
  /** The manifest id if this append creates the object. */
  newManifest: string;
  /** Headers and class a first append stores; later appends keep the object's (436/7741). */
  headers: Record<string, string>;
  storageClass: string;
  etag: (previous: string | null) => string;
  combine: (previousCrc64: string) => string;
  now: number;
}

export type AppendResult =
  | { ok: true; object: ObjectRow }
  | { ok: false; code: 'ObjectNotAppendable' }
  | { ok: false; code: 'PositionNotEqualToLength' | 'EntityTooLarge'; length: number };

/** Completion's commit: the blob files it made garbage, or why nothing was committed. */
export type CommitResult = { ok: true; garbage: string[] } | { ok: false; code: 'NoSuchUpload' | 'InvalidPart' };

/**
 * The emulator's metadata (objects, multipart uploads, parts, issued STS tokens) in node:sqlite
 * with WAL, so it survives restarts and concurrent requests see one consistent view. Bytes live
 * in the BlobStore; rows only name their blob files. Every blob file belongs to exactly one row
 * (an object, a part, or a segment of a completed object), so whoever drops the row deletes the file.
 */

export class MetaStore {
  private readonly db: DatabaseSync;
  private readonly stmts = new Map<string, StatementSync>();

  constructor(file: string) {
    this.db = new DatabaseSync(file);
    this.db.exec('PRAGMA busy_timeout = 5000; PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;');
    this.db.exec(SCHEMA);
    for (const m of MIGRATIONS) {
      const columns = this.db.prepare(`PRAGMA table_info(${m.table})`).all() as Row[];
      if (!columns.some((c) => c.name === m.column)) this.db.exec(m.ddl);
    }
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

  private writeObject(o: ObjectRow): void {
    this.q(
      'INSERT OR REPLACE INTO objects (bucket, key, blob, parts, size, etag, crc64, headers, storage_class, last_modified, appendable) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    ).run(
      o.bucket,
      o.key,
      o.blob,
      o.parts,
      o.size,
      o.etag,
      o.crc64,
      JSON.stringify(o.headers),
      o.storageClass,
      o.lastModified,
      o.appendable ? 1 : 0,
    );
  }

  /** Drops a replaced or deleted object's manifest rows; returns the blob files it held. */
  private release(o: ObjectRow): string[] {
    if (o.parts === 0) return [o.blob];
    const blobs = (this.q('SELECT blob FROM segments WHERE manifest = ?').all(o.blob) as Row[]).map((r) =>
      str(r, 'blob'),
    );
    this.q('DELETE FROM segments WHERE manifest = ?').run(o.blob);
    return blobs;
  }

  /** Inserts or replaces; returns the blob files the old version used (to delete). */
  putObject(o: ObjectRow): string[] {
    return this.tx(() => {
      const old = this.getObject(o.bucket, o.key);
      this.writeObject(o);
      return old ? this.release(old) : [];
    });
  }

  /**
   * APPEND Object's commit (436/7741), atomically: at `position` 0 with no object, a new appendable
   * object of one piece; else the piece is added at the end, only while the object is appendable
   * and exactly `position` bytes long. The piece's file becomes a segment of the object's manifest.
   */
  appendObject(a: AppendInput): AppendResult {
    return this.tx((): AppendResult => {
      const old = this.getObject(a.bucket, a.key);
      if (old && !old.appendable) return { ok: false, code: 'ObjectNotAppendable' };
      const length = old?.size ?? 0;
      if (length !== a.position) return { ok: false, code: 'PositionNotEqualToLength', length };
      if (length + a.piece.size > a.maxBytes) return { ok: false, code: 'EntityTooLarge', length };
      const manifest = old?.blob ?? a.newManifest;
      const seq = old?.parts ?? 0;
      this.q('INSERT INTO segments (manifest, seq, blob, pos, size) VALUES (?, ?, ?, ?, ?)').run(
        manifest,
        seq,
        a.piece.blob,
        length,
        a.piece.size,
      );
      const o: ObjectRow = {
        bucket: a.bucket,
        key: a.key,
        blob: manifest,
        parts: seq + 1,
        size: length + a.piece.size,
        etag: a.etag(old?.etag ?? null),
        crc64: old ? a.combine(old.crc64) : a.piece.crc64,
        headers: old?.headers ?? a.headers,
        storageClass: old?.storageClass ?? a.storageClass,
        lastModified: a.now,
        appendable: true,
      };
      this.writeObject(o);
      return { ok: true, object: o };
    });
  }

  /** Returns the deleted object's blob files (none if there was no object). */
  deleteObject(bucket: string, key: string): string[] {
    return this.tx(() => {
      const old = this.getObject(bucket, key);
      if (!old) return [];
      this.q('DELETE FROM objects WHERE bucket = ? AND key = ?').run(bucket, key);
      return this.release(old);
    });
  }

  /** The pieces of an object overlapping its bytes [start, end], in order. */
  segments(o: ObjectRow, start: number, end: number): SegmentRow[] {
    if (o.parts === 0) return [{ blob: o.blob, pos: 0, size: o.size }];
    return (
      this.q(
        'SELECT blob, pos, size FROM segments WHERE manifest = ? AND pos <= ? AND pos + size > ? ORDER BY seq',
      ).all(o.blob, end, start) as Row[]
    ).map(toSegment);
  }

  /** Every blob file some row names (a restart deletes the others: leftovers of a crash). */
  referencedBlobs(): Set<string> {
    const rows = this.q(
      'SELECT blob FROM objects WHERE parts = 0 UNION ALL SELECT blob FROM parts UNION ALL SELECT blob FROM segments',
    ).iterate() as Iterable<Row>;
    const out = new Set<string>();
    for (const r of rows) out.add(str(r, 'blob'));
    return out;
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

  /**
   * Uploads in (key, uploadId) order after the markers, lazily (the caller pages and folds
   * prefixes). With no idMarker (null) only keys strictly after keyMarker follow it.
   */
  *iterateUploads(bucket: string, prefix: string, keyMarker: string, idMarker: string | null): Generator<UploadRow> {
    const rows = this.q(
      `SELECT * FROM uploads WHERE bucket = ? AND substr(key, 1, length(?)) = ?
         AND (key > ? OR (key = ? AND ? IS NOT NULL AND upload_id > ?)) ORDER BY key, upload_id`,
    ).iterate(bucket, prefix, prefix, keyMarker, keyMarker, idMarker, idMarker) as Iterable<Row>;
    for (const r of rows) yield toUpload(r);
  }

  /**
   * Completion's commit, atomically: the chosen parts' files become the object `o` (a manifest
   * named `o.blob`, no byte copied), replacing any previous version; the upload, its rows and its
   * unchosen parts go. A chosen part re-uploaded since it was validated (another file now) is
   * refused rather than committed with bytes the caller did not list.
   */
  commitUpload(uploadId: string, chosen: readonly PartRow[], o: ObjectRow): CommitResult {
    return this.tx((): CommitResult => {
      if (!this.getUpload(uploadId)) return { ok: false, code: 'NoSuchUpload' };
      const current = new Map(this.allParts(uploadId).map((p) => [p.partNumber, p.blob]));
      if (chosen.some((p) => current.get(p.partNumber) !== p.blob)) return { ok: false, code: 'InvalidPart' };
      const kept = new Set(chosen.map((p) => p.blob));
      const garbage = [...current.values()].filter((b) => !kept.has(b));
      const old = this.getObject(o.bucket, o.key);
      if (old) garbage.push(...this.release(old));
      const segment = this.q('INSERT INTO segments (manifest, seq, blob, pos, size) VALUES (?, ?, ?, ?, ?)');
      let pos = 0;
      for (const [seq, p] of chosen.entries()) {
        segment.run(o.blob, seq, p.blob, pos, p.size);
        pos += p.size;
      }
      this.q('DELETE FROM parts WHERE upload_id = ?').run(uploadId);
      this.q('DELETE FROM uploads WHERE upload_id = ?').run(uploadId);
      this.writeObject({ ...o, parts: chosen.length });
      return { ok: true, garbage };
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
