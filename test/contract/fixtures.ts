import { createHash, randomBytes } from 'node:crypto';
import type { Page, UploadRecord, UploadStore } from '../../shared/ports.ts';

export interface StoreUnderTest {
  store: UploadStore;
  close(): Promise<void>;
  /**
   * The stored quota counter of an owner (profile null: owner-wide), read from the table itself
   * and not through the store; absent where the quota counts rows (SQLite).
   */
  counter?(owner: string, profile: string | null): Promise<number>;
}

/** Seconds after a fixed instant, as the core writes them (`Date.toISOString()`). */
const T0 = Date.parse('2030-01-01T00:00:00.000Z');
export const at = (seconds: number) => new Date(T0 + seconds * 1000).toISOString();

export const newId = () => `upl_${randomBytes(16).toString('base64url')}`;

/** An open multipart upload of unknown size with every optional field null; override as needed. */
export function anUpload(over: Partial<UploadRecord> = {}): UploadRecord {
  const id = over.id ?? newId();
  return {
    cosUploadId: `cos-${id}`,
    id,
    owner: 'owner-a',
    state: 'open',
    strategy: 'multipart',
    bucket: 'uploads-1250000000',
    region: 'ap-guangzhou',
    key: `u/h/${id}/file.bin`,
    fileName: 'file.bin',
    contentType: 'application/octet-stream',
    size: null,
    maxSize: 1024 ** 3,
    partSize: 8 * 1024 ** 2,
    partCount: null,
    metadata: {},
    crc64: null,
    createdAt: at(0),
    updatedAt: at(0),
    expiresAt: at(7 * 86_400),
    lastActivityAt: at(0),
    completedAt: null,
    etag: null,
    location: null,
    crc64Verified: null,
    lastError: null,
    assemblyStartedAt: null,
    leaseUntil: null,
    profile: null,
    storageClass: 'STANDARD',
    cacheControl: null,
    contentDisposition: null,
    contentEncoding: null,
    contentLanguage: null,
    expires: null,
    ...over,
  } as UploadRecord; // overrides may switch the strategy: the fixture does not second-guess the mix
}

/** Every page of a listing, checking the page contract on the way. */
export async function allPages(
  fetch: (cursor?: string) => Promise<Page<UploadRecord>>,
  limit: number,
): Promise<{ items: UploadRecord[]; pages: number }> {
  const items: UploadRecord[] = [];
  let cursor: string | undefined;
  for (let pages = 1; pages < 1_000; pages++) {
    const page = await fetch(cursor);
    if (page.items.length > limit) throw new Error(`page of ${page.items.length} items exceeds limit ${limit}`);
    items.push(...page.items);
    if (page.nextCursor === null) return { items, pages };
    cursor = page.nextCursor;
  }
  throw new Error('listing never ended');
}

export const ids = (items: readonly UploadRecord[]) => items.map((u) => u.id);
export const sortedIds = (items: readonly UploadRecord[]) => ids(items).sort();

/** A COS-like ETag (quoted MD5 hex) that encodes who wrote it. */
export const etagOf = (label: string) => `"${createHash('md5').update(label).digest('hex')}"`;
