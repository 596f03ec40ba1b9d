import type { TemporaryKeyGrant } from './core/temporary-key-grant.ts';

/**
 * The interfaces the core needs. The core decides; these do. Adapters implement only primitive
 * reads and conditional writes — the rules (state machine, limits, expiry) live once in the core.
 */

/** Every state an upload can be in, once (schemas, stores and indexes read this list). */
export const UPLOAD_STATES = ['open', 'completing', 'completed', 'aborted', 'expired'] as const;
export type UploadState = (typeof UPLOAD_STATES)[number];
export const STRATEGIES = ['single', 'multipart'] as const;
export type Strategy = (typeof STRATEGIES)[number];

/** What every upload has, whatever its strategy. */
interface UploadFields {
  id: string;
  /** The JWT `sub` that created it. Never returned to clients other than admins. */
  owner: string;
  state: UploadState;
  bucket: string;
  region: string;
  key: string;
  fileName: string;
  contentType: string;
  /** null while unknown (multipart with unknown size until `finalPartSize` fixes it). */
  size: number | null;
  maxSize: number;
  partSize: number;
  partCount: number | null;
  metadata: Record<string, string>;
  /** Declared CRC64-ECMA of the whole file (decimal); after completion, the object's. */
  crc64: string | null;
  createdAt: string;
  updatedAt: string;
  expiresAt: string;
  /** Moves on create, part-urls and part recording; the stale sweep reads it. */
  lastActivityAt: string;
  completedAt: string | null;
  etag: string | null;
  /** The object's full URL on the configured endpoint, known from create on. */
  location: string | null;
  /** After completion: COS's CRC64 of the object matched the declared or part CRC64s (false: COS gave none). */
  crc64Verified: boolean | null;
  /** The last failed background step (a merge the worker could not finish); cleared by a new complete. */
  lastError: StoredError | null;
  /** When the current assembly was first requested; the grace window for "no upload, no object" runs from it. */
  assemblyStartedAt: string | null;
  /** While a completion worker owns the merge: until when (ISO). null = no worker holds it. */
  leaseUntil: string | null;
  /** The upload profile it was created under (UPLOAD_PROFILES); null = the global limits. */
  profile: string | null;
  /** Object headers the server sets at Initiate (docs/API.md, create); clients never set them. */
  storageClass: string;
  cacheControl: string | null;
  contentDisposition: string | null;
  contentEncoding: string | null;
  contentLanguage: string | null;
  /** An HTTP date, sent as `Expires`. */
  expires: string | null;
}

/** Parts from the client, assembled by COS: the server always holds the COS multipart UploadId. */
export interface MultipartUploadRecord extends UploadFields {
  strategy: 'multipart';
  cosUploadId: string;
}

/**
 * One PUT from the client: part 1 of a one-part multipart upload, so it has a COS UploadId too —
 * except a 0-byte file, which the server wrote itself at create, and a single PUT from before
 * single uploads were multipart (its object is the proof, see complete-upload.ts).
 */
export interface SingleUploadRecord extends UploadFields {
  strategy: 'single';
  cosUploadId: string | null;
}

/** An upload session, discriminated on `strategy` (parsed once, by the store's schema). */
export type UploadRecord = MultipartUploadRecord | SingleUploadRecord;

/** An error as the upload object shows it (`lastError`): the contract's error body, stored. */
export interface StoredError {
  code: string;
  message: string;
  details: Record<string, unknown>;
}

export interface PartRecord {
  partNumber: number;
  etag: string;
  size: number | null;
  crc64: string | null;
}

/** Fields a transition may write together with the new state. */
export type UploadPatch = Partial<
  Pick<
    UploadRecord,
    | 'cosUploadId'
    | 'size'
    | 'partCount'
    | 'crc64'
    | 'completedAt'
    | 'etag'
    | 'location'
    | 'crc64Verified'
    | 'lastError'
    | 'assemblyStartedAt'
    | 'leaseUntil'
  >
>;

export interface Transition {
  /** The write happens only while the current state is one of these. */
  from: readonly UploadState[];
  to: UploadState;
  set?: UploadPatch;
  /** ISO time written to `updatedAt`. */
  at: string;
  /**
   * Also require `lastActivityAt < idleBefore`: the stale sweep's abort loses to a part recorded
   * (or URLs fetched) after it read the upload, not only to a state change.
   */
  idleBefore?: string;
  /**
   * Also require that no worker holds the lease at this ISO time (`leaseUntil` null or earlier):
   * how a completion worker takes the merge, so two workers never run it at once.
   */
  leaseFreeAt?: string;
}

export interface Page<T> {
  items: T[];
  /** Opaque; null on the last page. */
  nextCursor: string | null;
}

export interface ListFilter {
  state?: UploadState;
  owner?: string;
  /** ISO time; only uploads created strictly before it. */
  createdBefore?: string;
  limit: number;
  cursor?: string;
}

/** What dedupe looks uploads up by: the completed object's size and CRC64 (decimal). */
export interface ContentKey {
  size: number;
  crc64: string;
}

/** The quota a create is inserted under (see UploadStore.create). */
export interface OpenQuota {
  maxOpenPerOwner: number;
  /** Counted over the owner's open uploads with the same `profile` as the new one. */
  maxOpenInProfile?: number;
}

export interface OpenCountRepair {
  owner: string;
  /** The owner's open uploads, as the quota counts them. */
  open: number;
  /** Counters that were wrong and were corrected: `profile` null is the owner-wide one. */
  corrected: { profile: string | null; was: number; now: number }[];
  /** Counters that changed within the last minute and were left for a later repair. */
  skipped: { profile: string | null }[];
}

/** A response as an Idempotency-Key replays it: the status and the exact body bytes. */
export interface StoredResponse {
  status: number;
  body: string;
}

export interface IdempotencyClaim {
  owner: string;
  key: string;
  /** Hash of the canonical request body: the same key with another body is refused. */
  fingerprint: string;
  /** Random per attempt: only the attempt holding the claim finishes or releases it. */
  claim: string;
  /** Until when an unfinished claim holds the key (a crashed request's claim lapses then). */
  leaseUntil: string;
  /** When the key is free again (24 h after the request). */
  expiresAt: string;
}

export interface IdempotencyRecord extends IdempotencyClaim {
  /** The finished request's response; null while it still runs. */
  response: StoredResponse | null;
}

/** What create writes with the upload for a claimed key. */
export interface IdempotencyFinish {
  owner: string;
  key: string;
  claim: string;
  response: StoredResponse;
}

export interface UploadStore {
  /**
   * Inserts a new upload. Ids are fresh; a duplicate id is a bug and throws. The quota counts
   * uploads in state `open` (not `completing`: that one has left the client's hands): with
   * `maxOpenPerOwner`, an open upload is inserted only while its owner has fewer open ones, and with
   * `maxOpenInProfile` also only while the owner has fewer open ones with the same `profile`;
   * false says it was not. Both stores decide in the write itself, so N racing creates with K free
   * slots insert exactly K: SQLite counts the rows and inserts in one transaction; DynamoDB keeps a
   * counter item per owner (and per owner and profile) that changes in the same transaction as the
   * upload on every create and every move into or out of `open` (dynamodb-quota.ts).
   * With `idempotency`, the claimed key's response is stored in the same write (all or nothing);
   * a claim that is no longer the caller's (its lease lapsed and another request took the key)
   * throws IDEMPOTENCY_KEY_IN_USE and inserts nothing.
   */
  create(upload: UploadRecord, quota?: OpenQuota, idempotency?: IdempotencyFinish): Promise<boolean>;
  get(id: string): Promise<UploadRecord | null>;
  /**
   * Conditional state change: applied only while the current state is in `t.from`.
   * Returns the updated record, or null when the id is unknown or the condition failed —
   * this is what makes two concurrent completes, or a complete racing an abort, have one winner.
   */
  transition(id: string, t: Transition): Promise<UploadRecord | null>;
  /**
   * Records parts (a part number recorded again is replaced) and moves `lastActivityAt` to `now`,
   * only while the upload is open and `now < expiresAt`. False when that condition failed.
   */
  putParts(id: string, parts: readonly PartRecord[], now: string): Promise<boolean>;
  /**
   * Moves `lastActivityAt` (and `updatedAt`) to `now` while open and unexpired. With `fix`, also
   * sets size and partCount — only if size is still null or already equal (first finalPartSize wins).
   * False when the condition failed.
   */
  touch(id: string, now: string, fix?: { size: number; partCount: number }): Promise<boolean>;
  /** Recorded parts, ascending by part number. */
  listParts(id: string): Promise<PartRecord[]>;
  /** Open uploads of one owner (with `profile`: of that profile only), as the quota counts them. */
  countOpenByOwner(owner: string, profile?: string): Promise<number>;
  /**
   * Completed uploads of `owner` whose size and crc64 are exactly these, newest (by createdAt)
   * first, at most `limit`: dedupe's lookup, one indexed read (never a scan). The rule (same
   * fileName and profile, the object still in COS) is the core's (core/dedupe.ts).
   */
  findCompletedByContent(owner: string, content: ContentKey, limit: number): Promise<UploadRecord[]>;
  /**
   * Recomputes the owner's quota counters from the uploads themselves (docs/API.md, "The quota
   * counters"). SQLite counts rows, so there is nothing to repair; DynamoDB's counters are
   * corrected where they drifted. `now` decides which counters moved too recently to judge.
   */
  repairOpenCounts(owner: string, now: string): Promise<OpenCountRepair>;
  /**
   * Takes an Idempotency-Key for one request: a conditional insert that wins when the key is free —
   * never used, past its `expiresAt`, or claimed by a request whose `leaseUntil` passed without a
   * response (it crashed). null = the caller holds it now; otherwise the record that holds it.
   */
  claimIdempotencyKey(claim: IdempotencyClaim, now: string): Promise<IdempotencyRecord | null>;
  /** Frees a key the caller claimed and did not finish (its request failed); a no-op otherwise. */
  releaseIdempotencyKey(owner: string, key: string, claim: string): Promise<void>;
  /** Admin listing, newest first. */
  list(filter: ListFilter): Promise<Page<UploadRecord>>;
  /** Open uploads with `lastActivityAt < before` (the stale sweep). */
  listOpenInactiveSince(before: string, limit: number, cursor?: string): Promise<Page<UploadRecord>>;
  /** Open uploads with `expiresAt <= now` (the expiry sweep). */
  listOpenExpired(now: string, limit: number, cursor?: string): Promise<Page<UploadRecord>>;
  /** Releases the connection (SQLite's file, DynamoDB's client and sockets); idempotent, nothing is called after it. */
  close(): Promise<void>;
}

export interface StoredPart {
  partNumber: number;
  etag: string;
  size: number;
  lastModified: string;
}

export interface ObjectHead {
  size: number;
  etag: string;
  crc64: string | null;
  contentType: string | null;
}

/** What the server sets on the object at Initiate (or PUT); clients can never change it. */
export interface ObjectHeaders {
  contentType: string;
  metadata: Record<string, string>;
}

export interface CompletedObject {
  etag: string;
  /** COS's `Location`; the SDKs treat it as optional, and so do we. */
  location: string | null;
  /** COS's `x-cos-hash-crc64ecma` of the assembled object when it sent one. */
  crc64: string | null;
}

export interface MultipartUploadListing {
  uploads: { key: string; uploadId: string; initiated: string }[];
  isTruncated: boolean;
  nextKeyMarker: string | null;
  nextUploadIdMarker: string | null;
}

export interface PresignedRequest {
  method: 'PUT' | 'GET';
  url: string;
  /** Headers the client must send exactly (the signature binds them). */
  headers: Record<string, string>;
  expiresAt: string;
}

export interface ObjectStorage {
  readonly bucket: string;
  readonly region: string;
  initiateMultipart(key: string, opts: ObjectHeaders): Promise<string>;
  /** PUT Object of a small body the server writes itself (a 0-byte file). */
  putObject(key: string, body: Uint8Array, opts: ObjectHeaders): Promise<{ etag: string; crc64: string | null }>;
  /** The object's full URL on the configured endpoint (the upload's `location`). */
  objectUrl(key: string): string;
  /** Every page of List Parts, ascending. A vanished upload throws `storageRejected('NoSuchUpload')`. */
  listParts(key: string, uploadId: string): Promise<StoredPart[]>;
  /**
   * COS answers at once and streams whitespace while it merges, which can take minutes: only a
   * completion worker calls this, and `timeoutMs` is how long it may wait for the result.
   */
  completeMultipart(
    key: string,
    uploadId: string,
    parts: readonly { partNumber: number; etag: string }[],
    opts?: { timeoutMs?: number },
  ): Promise<CompletedObject>;
  /** Idempotent: an unknown upload is not an error. */
  abortMultipart(key: string, uploadId: string): Promise<void>;
  /** null when the object does not exist. */
  headObject(key: string): Promise<ObjectHead | null>;
  /** Idempotent. */
  deleteObject(key: string): Promise<void>;
  listMultipartUploads(
    prefix: string,
    opts?: { keyMarker?: string; uploadIdMarker?: string; maxUploads?: number },
  ): Promise<MultipartUploadListing>;
  /**
   * A download URL for the object; `disposition` (a full Content-Disposition value) is bound as
   * `response-content-disposition`, so COS answers with it (GET Object, 436/7753).
   */
  presignGetObject(key: string, opts: { now: Date; expiresSeconds: number; disposition?: string }): PresignedRequest;
  /** Many parts of one upload at once (part-urls asks for up to 1,000): inputs checked once, one signing window. */
  presignUploadParts(
    key: string,
    uploadId: string,
    parts: readonly { partNumber: number; contentLength: number }[],
    now: Date,
    expiresSeconds: number,
  ): PresignedRequest[];
}

export interface TemporaryCredentials {
  tmpSecretId: string;
  tmpSecretKey: string;
  sessionToken: string;
  /** unix seconds */
  startTime: number;
  /** unix seconds */
  expiredTime: number;
  expiration: string;
}

export interface CredentialIssuer {
  /** Keys that can do what `grant` says and nothing else (the adapter encodes it for its STS). */
  issue(req: { name: string; grant: TemporaryKeyGrant; durationSeconds: number }): Promise<TemporaryCredentials>;
}

export interface Clock {
  now(): Date;
  /** Waits (a completion worker between HEADs, complete waiting for its worker); real time when absent. */
  sleep?(ms: number): Promise<void>;
}

/**
 * Sees that a completion worker runs for an upload that just entered `completing` (or whose dead
 * worker's lease was released). In AWS the table's DynamoDB Stream is the durable trigger and this
 * does nothing; locally (SQLite) it runs the same worker in-process.
 */
export interface CompletionTrigger {
  started(uploadId: string): void;
}

export interface IdSource {
  /** `upl_` + ≥128 bits of randomness, URL-safe. */
  uploadId(): string;
}
