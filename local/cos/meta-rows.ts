/**
 * Row shapes of the emulator's metadata tables, their schema, and the mapping from node:sqlite's
 * untyped rows. Kept apart from MetaStore so the store file holds only the queries.
 */

export interface ObjectRow {
  bucket: string;
  key: string;
  /**
   * With `parts` 0, the blob file holding the bytes (a simple PUT). Otherwise the id of a manifest:
   * the object is its `parts` segment files in order (the part files of a completed upload).
   */
  blob: string;
  parts: number;
  size: number;
  etag: string;
  crc64: string;
  /** content-type, cache-control, ..., x-cos-meta-* as given at upload (lowercased names). */
  headers: Record<string, string>;
  storageClass: string;
  lastModified: number;
  /**
   * Made by APPEND Object (436/7741): COS calls it `appendable` (x-cos-object-type) and only such
   * an object takes more appends; any other write makes it `normal` again. Its bytes are a manifest
   * of the appended pieces, like a completed multipart object's.
   */
  appendable?: boolean;
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

/** One piece of a manifest object: `size` bytes of blob file `blob`, at object offset `pos`. */
export interface SegmentRow {
  blob: string;
  pos: number;
  size: number;
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

export type Row = Record<string, unknown>;

export const str = (r: Row, k: string): string => String(r[k]);
const num = (r: Row, k: string): number => Number(r[k]);
const json = (r: Row, k: string): Record<string, string> => JSON.parse(String(r[k])) as Record<string, string>;

export const toObject = (r: Row): ObjectRow => ({
  bucket: str(r, 'bucket'),
  key: str(r, 'key'),
  blob: str(r, 'blob'),
  parts: num(r, 'parts'),
  size: num(r, 'size'),
  etag: str(r, 'etag'),
  crc64: str(r, 'crc64'),
  headers: json(r, 'headers'),
  storageClass: str(r, 'storage_class'),
  lastModified: num(r, 'last_modified'),
  appendable: num(r, 'appendable') === 1,
});
export const toSegment = (r: Row): SegmentRow => ({ blob: str(r, 'blob'), pos: num(r, 'pos'), size: num(r, 'size') });
export const toUpload = (r: Row): UploadRow => ({
  uploadId: str(r, 'upload_id'),
  bucket: str(r, 'bucket'),
  key: str(r, 'key'),
  headers: json(r, 'headers'),
  storageClass: str(r, 'storage_class'),
  initiated: num(r, 'initiated'),
});
export const toPart = (r: Row): PartRow => ({
  uploadId: str(r, 'upload_id'),
  partNumber: num(r, 'part_number'),
  blob: str(r, 'blob'),
  size: num(r, 'size'),
  etag: str(r, 'etag'),
  crc64: str(r, 'crc64'),
  lastModified: num(r, 'last_modified'),
});
export const toToken = (r: Row): TokenRow => ({
  token: str(r, 'token'),
  tmpSecretId: str(r, 'tmp_secret_id'),
  tmpSecretKey: str(r, 'tmp_secret_key'),
  policy: r.policy === null ? null : str(r, 'policy'),
  expiresAt: num(r, 'expires_at'),
  issuedAt: num(r, 'issued_at'),
  name: str(r, 'name'),
});

/** Data dirs created before objects could be manifests lack the column; every old object is a blob. */
export const MIGRATIONS: readonly { table: string; column: string; ddl: string }[] = [
  { table: 'objects', column: 'parts', ddl: 'ALTER TABLE objects ADD COLUMN parts INTEGER NOT NULL DEFAULT 0' },
  {
    table: 'objects',
    column: 'appendable',
    ddl: 'ALTER TABLE objects ADD COLUMN appendable INTEGER NOT NULL DEFAULT 0',
  },
];

export const SCHEMA = `
CREATE TABLE IF NOT EXISTS objects (
  bucket TEXT NOT NULL, key TEXT NOT NULL, blob TEXT NOT NULL, size INTEGER NOT NULL, etag TEXT NOT NULL,
  crc64 TEXT NOT NULL, headers TEXT NOT NULL, storage_class TEXT NOT NULL, last_modified INTEGER NOT NULL,
  parts INTEGER NOT NULL DEFAULT 0, appendable INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (bucket, key)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS segments (
  manifest TEXT NOT NULL, seq INTEGER NOT NULL, blob TEXT NOT NULL, pos INTEGER NOT NULL, size INTEGER NOT NULL,
  PRIMARY KEY (manifest, seq)) WITHOUT ROWID;
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
