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
} as const satisfies Record<keyof UploadRecord, string>;

const fields = Object.keys(columns) as (keyof UploadRecord)[];

export const insertSql = `INSERT INTO uploads (${fields.map((f) => columns[f]).join(', ')})
  VALUES (${fields.map(() => '?').join(', ')})`;

export function toRowValues(u: UploadRecord): SQLInputValue[] {
  return fields.map((f) => (f === 'metadata' ? JSON.stringify(u.metadata) : u[f]));
}

export function fromRow(row: Record<string, SQLOutputValue>): UploadRecord {
  const record: Record<string, unknown> = {};
  for (const f of fields) record[f] = row[columns[f]];
  const metadata = row.metadata;
  record.metadata = typeof metadata === 'string' ? JSON.parse(metadata) : metadata;
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
    values.push(value);
  }
  return { sql, values };
}
