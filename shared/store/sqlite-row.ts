import type { SQLInputValue, SQLOutputValue } from 'node:sqlite';
import type { UploadPatch, UploadRecord } from '../ports.ts';
import { patchFields } from './patch-fields.ts';
import { parseUploadRecord } from './upload-record-schema.ts';

/** UploadRecord field → column. The one place that knows the SQLite naming. */
export const columns = {
  id: 'id',
  owner: 'owner',
  state: 'state',
  strategy: 'strategy',
  bucket: 'bucket',
  region: 'region',
  key: 'key',
  cosUploadId: 'cos_upload_id',
  fileName: 'file_name',
  contentType: 'content_type',
  size: 'size',
  maxSize: 'max_size',
  partSize: 'part_size',
  partCount: 'part_count',
  metadata: 'metadata',
  crc64: 'crc64',
  createdAt: 'created_at',
  updatedAt: 'updated_at',
  expiresAt: 'expires_at',
  lastActivityAt: 'last_activity_at',
  completedAt: 'completed_at',
  etag: 'etag',
  location: 'location',
  crc64Verified: 'crc64_verified',
  lastError: 'last_error',
  assemblyStartedAt: 'assembly_started_at',
  leaseUntil: 'lease_until',
  profile: 'profile',
  storageClass: 'storage_class',
  cacheControl: 'cache_control',
  contentDisposition: 'content_disposition',
  contentEncoding: 'content_encoding',
  contentLanguage: 'content_language',
  expires: 'expires',
  composeSources: 'compose_sources',
} as const satisfies Record<keyof UploadRecord, string>;

const fields = Object.keys(columns) as (keyof UploadRecord)[];

export const insertSql = `INSERT INTO uploads (${fields.map((f) => columns[f]).join(', ')})
  VALUES (${fields.map(() => '?').join(', ')})`;

/** JSON columns hold objects; SQLite has no boolean, so flags are 0/1. */
const JSON_FIELDS: readonly (keyof UploadRecord)[] = ['metadata', 'lastError', 'composeSources'];
const BOOLEAN_FIELDS: readonly (keyof UploadRecord)[] = ['crc64Verified'];

function toColumnValue(field: keyof UploadRecord, value: unknown): SQLInputValue {
  if (value === null || value === undefined) return null;
  if (JSON_FIELDS.includes(field)) return JSON.stringify(value);
  if (BOOLEAN_FIELDS.includes(field)) return value ? 1 : 0;
  return value as SQLInputValue;
}

export function toRowValues(u: UploadRecord): SQLInputValue[] {
  return fields.map((f) => toColumnValue(f, u[f]));
}

export function fromRow(row: Record<string, SQLOutputValue>): UploadRecord {
  const record: Record<string, unknown> = {};
  for (const f of fields) {
    const v = row[columns[f]];
    if (v === null || v === undefined) record[f] = v;
    else if (JSON_FIELDS.includes(f)) record[f] = typeof v === 'string' ? JSON.parse(v) : v;
    else if (BOOLEAN_FIELDS.includes(f)) record[f] = Number(v) !== 0;
    else record[f] = v;
  }
  return parseUploadRecord(record, 'sqlite');
}

/** `col = ?` assignments and their values for the fields a transition sets. */
export function patchAssignments(set: UploadPatch = {}): { sql: string[]; values: SQLInputValue[] } {
  const sql: string[] = [];
  const values: SQLInputValue[] = [];
  for (const field of patchFields) {
    const value = set[field];
    if (value === undefined) continue;
    sql.push(`${columns[field]} = ?`);
    values.push(toColumnValue(field, value));
  }
  return { sql, values };
}
