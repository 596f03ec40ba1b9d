import type { BlobStore } from './blob-store.ts';
import type { CompiledCorsRule } from './cors.ts';
import type { Faults } from './faults.ts';
import type { MetaStore } from './meta-store.ts';

/** What every handler shares: configuration, stores, the clock. One per running emulator. */
export interface EmulatorContext {
  bucket: string;
  region: string;
  buckets: ReadonlySet<string>;
  account: { secretId: string; secretKey: string };
  store: MetaStore;
  blobs: BlobStore;
  faults: Faults;
  now: () => number;
  log: (line: object) => void;
  /** Completions in flight by uploadId: a retried Complete joins the running one. */
  completing: Map<string, Promise<CompletionOutcome>>;
  /** The bucket's CORS rules (PUT Bucket cors, 436/8279); empty = no CORS at all. */
  cors: readonly CompiledCorsRule[];
}

export type CompletionOutcome =
  { ok: true; etag: string; crc64: string; size: number } | { ok: false; code: string; message: string };

/** Per-request facts the dispatcher fills in and handlers read. */
export interface RequestInfo {
  requestId: string;
  bucket: string;
  key: string;
  query: ReadonlyMap<string, string>;
  /** COS `Resource` for error XML: `<bucket>.cos.<region>.myqcloud.com/<key>`. */
  resource: string;
}

/** Largest single PUT / part COS accepts: 5 GiB. */
export const MAX_OBJECT_BYTES = 5 * 1024 ** 3;
/** Every part but the last must be at least this large at Complete. */
export const MIN_PART_BYTES = 1024 ** 2;
export const MAX_PART_NUMBER = 10_000;
export const DEFAULT_PAGE = 1000;

export const STORAGE_CLASSES: ReadonlySet<string> = new Set([
  'STANDARD',
  'STANDARD_IA',
  'INTELLIGENT_TIERING',
  'ARCHIVE',
  'DEEP_ARCHIVE',
  'MAZ_STANDARD',
  'MAZ_STANDARD_IA',
  'MAZ_INTELLIGENT_TIERING',
  'MAZ_ARCHIVE',
]);

/** Owner/initiator identity as COS prints it in list results (uin derived from the APPID). */
export const ownerXml = (bucket: string): { id: string; name: string } => {
  const appId = bucket.slice(bucket.lastIndexOf('-') + 1);
  return { id: `qcs::cam::uin/${appId}:uin/${appId}`, name: appId };
};
