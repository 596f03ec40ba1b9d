import { COS_STORAGE_CLASSES } from '../../shared/core/object-headers.ts';
import type { BlobStore } from './blob-store.ts';
import type { CompiledCorsRule } from './cors.ts';
import type { Faults } from './faults.ts';
import type { Merges } from './merges.ts';
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
  /** Completions in flight: their uploads and keys read as gone until they commit. */
  merges: Merges;
  /** The bucket's CORS rules (PUT Bucket cors, 436/8279); empty = no CORS at all. */
  cors: readonly CompiledCorsRule[];
}

/** Per-request facts the dispatcher fills in and handlers read. */
export interface RequestInfo {
  requestId: string;
  bucket: string;
  key: string;
  query: ReadonlyMap<string, string>;
  /** COS `Resource` for error XML: `<bucket>.cos.<region>.myqcloud.com/<key>`. */
  resource: string;
  /** A `noCrc64` fault: this response leaves out `x-cos-hash-crc64ecma`. */
  noCrc64?: boolean;
}

/** The `x-cos-hash-crc64ecma` header, unless a `noCrc64` fault drops it from this response. */
export const crc64Header = (info: RequestInfo, crc64: string): Record<string, string> =>
  info.noCrc64 ? {} : { 'x-cos-hash-crc64ecma': crc64 };

/** Largest single PUT / part COS accepts: 5 GiB. */
export const MAX_OBJECT_BYTES = 5 * 1024 ** 3;
/** Every part but the last must be at least this large at Complete. */
export const MIN_PART_BYTES = 1024 ** 2;
export const MAX_PART_NUMBER = 10_000;
export const DEFAULT_PAGE = 1000;

/** COS's storage class names (436/33417, as PUT Object 436/7749 lists them): one list with production's. */
export const STORAGE_CLASSES: ReadonlySet<string> = new Set(COS_STORAGE_CLASSES);

/** The account's APPID: the numeric suffix of a bucket name (`uploads-1250000000` → `1250000000`). */
export const appIdOf = (bucket: string): string => bucket.slice(bucket.lastIndexOf('-') + 1);

/** Owner/initiator identity as COS prints it in list results (uin derived from the APPID). */
export const ownerXml = (bucket: string): { id: string; name: string } => {
  const appId = appIdOf(bucket);
  return { id: `qcs::cam::uin/${appId}:uin/${appId}`, name: appId };
};
