import { contentTypeNotAllowed, tooManyOpenUploads, validationFailed } from '../errors.ts';
import type { IdempotencyFinish, UploadRecord } from '../ports.ts';
import { contentTypeAllowed } from './content-type.ts';
import type { CoreDeps } from './deps.ts';
import { objectKey } from './keys.ts';
import type { Limits } from './limits.ts';
import { maxPartNumber, type Plan, planUpload } from './plan.ts';
import { quoteEtag } from './verify-parts.ts';

/** CRC-64/XZ of no bytes. */
const EMPTY_CRC64 = '0';

export interface CreateUploadInput {
  fileName: string;
  size?: number;
  maxSize?: number;
  contentType?: string;
  partSize?: number;
  metadata?: Record<string, string>;
  crc64?: string;
  /** Part URLs the answer carries (create-session.ts); checked against the plan here, before COS. */
  presign?: number;
  /** Look for a completed upload of the same file first (create-session.ts); needs size and crc64. */
  dedupe?: boolean;
}

export const DEFAULT_CONTENT_TYPE = 'application/octet-stream';

/**
 * Every rule of create's input that needs the limits, with no I/O: bad input is refused before
 * any lookup or COS call (create-session.ts runs it before a dedupe lookup too).
 */
export function checkCreateInput(input: CreateUploadInput, limits: Limits): { contentType: string; plan: Plan } {
  const contentType = input.contentType ?? DEFAULT_CONTENT_TYPE;
  if (!contentTypeAllowed(contentType, limits.allowedContentTypes)) throw contentTypeNotAllowed(contentType);
  const plan = planUpload(input, limits);
  if (plan.size === 0 && input.crc64 !== undefined && input.crc64 !== EMPTY_CRC64) {
    throw validationFailed([{ path: ['crc64'], message: 'a 0-byte file has CRC64 0' }]);
  }
  // Unknown size: parts 1..presign of full partSize, as part-urls signs them without finalPartSize.
  const parts = maxPartNumber(plan);
  if ((input.presign ?? 0) > parts) {
    throw validationFailed([{ path: ['presign'], message: `must be at most ${parts} (the plan's parts)` }]);
  }
  if (input.dedupe && (input.size === undefined || input.crc64 === undefined)) {
    throw validationFailed([{ path: ['dedupe'], message: 'dedupe needs size and crc64' }]);
  }
  return { contentType, plan };
}

/**
 * Plans the upload, enforces type and quota, and initiates the COS multipart upload before the
 * record exists — a record never points at a COS upload that was not created. If the insert then
 * fails, the COS upload is an orphan the sweep reconciles. Every strategy is a multipart upload
 * (a single PUT is part 1 of one), so every object header is the server's, set here at Initiate,
 * and no URL or key outlives the upload (docs/API.md, "Single uploads are one-part multipart uploads").
 * A 0-byte file has nothing to send: the server writes it and the upload is born completed.
 */
export interface CreateOptions {
  /** An Idempotency-Key's response, written with the upload (idempotency.ts). */
  seal?: (record: UploadRecord) => IdempotencyFinish;
}

export async function createUpload(
  deps: CoreDeps,
  owner: string,
  input: CreateUploadInput,
  opts: CreateOptions = {},
): Promise<UploadRecord> {
  const { limits } = deps;
  const { contentType, plan } = checkCreateInput(input, limits);

  // A first look, so an owner over quota costs no COS call; the write below checks again.
  const open = await deps.store.countOpenByOwner(owner);
  if (open >= limits.maxOpenUploadsPerOwner) throw tooManyOpenUploads(limits.maxOpenUploadsPerOwner);

  const id = deps.ids.uploadId();
  const key = objectKey(limits.keyPrefix, owner, id, input.fileName);
  const metadata = input.metadata ?? {};
  const headers = { contentType, metadata };
  const location = deps.storage.objectUrl(key);
  // A 0-byte file has nothing to send: the server writes it, and the upload is born completed.
  const empty = plan.size === 0 ? await deps.storage.putObject(key, new Uint8Array(0), headers) : null;
  const cosUploadId = empty ? null : await deps.storage.initiateMultipart(key, headers);

  const now = deps.clock.now();
  const at = now.toISOString();
  const fields = {
    id,
    owner,
    state: empty ? ('completed' as const) : ('open' as const),
    bucket: deps.storage.bucket,
    region: deps.storage.region,
    key,
    fileName: input.fileName,
    contentType,
    size: plan.size,
    maxSize: plan.maxSize,
    partSize: plan.partSize,
    partCount: plan.partCount,
    metadata,
    crc64: empty ? (empty.crc64 ?? EMPTY_CRC64) : (input.crc64 ?? null),
    createdAt: at,
    updatedAt: at,
    expiresAt: new Date(now.getTime() + limits.uploadTtlSeconds * 1000).toISOString(),
    lastActivityAt: at,
    completedAt: empty ? at : null,
    etag: empty ? quoteEtag(empty.etag) : null,
    location,
    crc64Verified: empty ? empty.crc64 === EMPTY_CRC64 : null,
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
  };
  // A 0-byte file is always `single` (the plan says so), so a multipart upload has its COS id.
  const record: UploadRecord =
    plan.strategy === 'multipart' && cosUploadId !== null
      ? { ...fields, strategy: 'multipart', cosUploadId }
      : { ...fields, strategy: 'single', cosUploadId };
  // The quota again, in the write: creates that raced past the first count lose here.
  const abandon = async () => {
    // Its COS upload is abandoned; if this abort fails, the sweep's orphan pass removes it.
    if (!cosUploadId) return;
    await deps.storage.abortMultipart(key, cosUploadId).catch((e: unknown) => {
      deps.log.warn('abort after a refused create failed', { key, error: e instanceof Error ? e.name : 'unknown' });
    });
  };
  let inserted: boolean;
  try {
    inserted = await deps.store.create(record, { maxOpenPerOwner: limits.maxOpenUploadsPerOwner }, opts.seal?.(record));
  } catch (e) {
    // Nothing was inserted (an Idempotency-Key claim that lapsed, the store unavailable).
    await abandon();
    throw e;
  }
  if (!inserted) {
    await abandon();
    throw tooManyOpenUploads(limits.maxOpenUploadsPerOwner);
  }
  deps.log.info('upload created', {
    uploadId: id,
    strategy: plan.strategy,
    size: plan.size,
    partCount: plan.partCount,
  });
  return record;
}
