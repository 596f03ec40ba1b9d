import type { PartRecord, UploadRecord } from '../ports.ts';
import {
  contentPk,
  contentSk,
  META,
  openPk,
  ownerPk,
  PART_ATTR,
  statePk,
  TERMINAL_STATES,
  timeSk,
  ttlAfter,
  uploadPk,
} from './dynamodb-keys.ts';
import type { Item } from './dynamodb-table-client.ts';
import { parseUploadRecord } from './upload-record-schema.ts';

/** The META item of an upload: the record's fields as attributes, plus its keys. */
export function toItem(u: UploadRecord): Item {
  const item: Item = {
    ...u,
    pk: uploadPk(u.id),
    sk: META,
    gsi1sk: timeSk(u.lastActivityAt, u.id),
    gsi2sk: timeSk(u.expiresAt, u.id),
    gsi3pk: ownerPk(u.owner),
    gsi3sk: timeSk(u.createdAt, u.id),
    gsi4pk: statePk(u.state, u.id),
    gsi4sk: timeSk(u.createdAt, u.id),
    gsi5sk: contentSk(u.owner, u.createdAt, u.id),
  };
  // A 0-byte file is born completed; every other upload enters byContent when it completes.
  if (u.state === 'completed' && u.size !== null && u.crc64 !== null) item.gsi5pk = contentPk(u.size, u.crc64);
  if (u.state === 'open') {
    item.gsi1pk = openPk(u.id);
    item.gsi2pk = openPk(u.id);
  }
  if (TERMINAL_STATES.includes(u.state)) item.ttl = ttlAfter(u.updatedAt);
  return item;
}

/** Key attributes and bookkeeping are dropped by the schema; the rest must be a valid record. */
export function fromItem(item: Item): UploadRecord {
  return parseUploadRecord(item, 'dynamodb');
}

/** A part on a chunk item, short attribute names because chunk size is what recording costs. */
export function encodePart(p: PartRecord): Item {
  const v: Item = { e: p.etag };
  if (p.size !== null) v.s = p.size;
  if (p.crc64 !== null) v.c = p.crc64;
  return v;
}

/** Every part attribute (`p<n>`) of a chunk item. */
export function partsOfChunk(item: Item): PartRecord[] {
  const parts: PartRecord[] = [];
  for (const [name, value] of Object.entries(item)) {
    const m = PART_ATTR.exec(name);
    if (!m || typeof value !== 'object' || value === null) continue;
    const v = value as Record<string, unknown>;
    if (typeof v.e !== 'string') throw new Error(`dynamodb: malformed part ${name} in ${String(item.pk)}`);
    parts.push({
      partNumber: Number(m[1]),
      etag: v.e,
      size: typeof v.s === 'number' ? v.s : null,
      crc64: typeof v.c === 'string' ? v.c : null,
    });
  }
  return parts;
}
