import { tooManyOpenUploads, validationFailed } from '../errors.ts';
import type { UploadRecord } from '../ports.ts';
import type { CoreDeps } from './deps.ts';
import type { Limits } from './limits.ts';
import {
  DEFAULT_CONTENT_TYPE,
  insertNewUpload,
  newObjectKey,
  type NewObjectInput,
  newObjectRules,
  type NewUploadOptions,
  type StoredObjectHeaders,
} from './new-object.ts';
import { maxPartNumber, type Plan, planAppend, planUpload } from './plan.ts';
import type { EffectiveLimits } from './profiles.ts';
import { quoteEtag } from './verify-parts.ts';

/** CRC-64/XZ of no bytes. */
const EMPTY_CRC64 = '0';

export interface CreateUploadInput extends NewObjectInput {
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
  /** `append`: bytes appended over time through append-url (docs/API.md, "Append uploads"). */
  mode?: 'append';
}

export { DEFAULT_CONTENT_TYPE };

/**
 * Every rule of create's input that needs the limits, with no I/O: bad input is refused before
 * any lookup or COS call (create-session.ts runs it before a dedupe lookup too).
 */
export function checkCreateInput(
  input: CreateUploadInput,
  globalLimits: Limits,
): { limits: EffectiveLimits; headers: StoredObjectHeaders; plan: Plan } {
  const { limits, headers } = newObjectRules(input, globalLimits);
  if (input.mode === 'append' && input.size !== undefined) {
    throw validationFailed([{ path: ['size'], message: 'an append upload has no size: omit it (maxSize bounds it)' }]);
  }
  const plan = input.mode === 'append' ? planAppend(input, limits) : planUpload(input, limits);
  if (plan.size === 0 && input.crc64 !== undefined && input.crc64 !== EMPTY_CRC64) {
    throw validationFailed([{ path: ['crc64'], message: 'a 0-byte file has CRC64 0' }]);
  }
  // Unknown size: parts 1..presign of full partSize, as part-urls signs them without finalPartSize.
  const parts = maxPartNumber(plan);
  if ((input.presign ?? 0) > parts) {
    throw validationFailed([{ path: ['presign'], message: `must be at most ${parts} (the plan's parts)` }]);
  }
  if (input.mode === 'append' && (input.presign ?? 0) > 0) {
    throw validationFailed([{ path: ['presign'], message: 'an append upload takes no part URLs (use append-url)' }]);
  }
  if (input.dedupe && (input.size === undefined || input.crc64 === undefined)) {
    throw validationFailed([{ path: ['dedupe'], message: 'dedupe needs size and crc64' }]);
  }
  return { limits, headers, plan };
}

/**
 * Plans the upload, enforces type and quota, and initiates the COS multipart upload before the
 * record exists — a record never points at a COS upload that was not created. If the insert then
 * fails, the COS upload is an orphan the sweep reconciles. Every strategy is a multipart upload
 * (a single PUT is part 1 of one), so every object header is the server's, set here at Initiate,
 * and no URL or key outlives the upload (docs/API.md, "Single uploads are one-part multipart uploads").
 * A 0-byte file has nothing to send: the server writes it and the upload is born completed.
 */
export async function createUpload(
  deps: CoreDeps,
  owner: string,
  input: CreateUploadInput,
  opts: NewUploadOptions = {},
): Promise<UploadRecord> {
  const { limits, headers, plan } = checkCreateInput(input, deps.limits);

  // A first look, so an owner over quota costs no COS call; the write below checks again.
  const open = await deps.store.countOpenByOwner(owner);
  if (open >= limits.maxOpenUploadsPerOwner) throw tooManyOpenUploads(limits.maxOpenUploadsPerOwner);

  const id = deps.ids.uploadId();
  const key = newObjectKey(limits, owner, id, input.fileName);
  const { contentType, metadata, ...objectHeaders } = headers;
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
    profile: limits.profile,
    ...objectHeaders,
    composeSources: null,
  };
  // A 0-byte file is always `single` (the plan says so), so a multipart upload has its COS id.
  // An append upload's COS multipart upload is on the final key: complete copies the staging object into it.
  const record: UploadRecord =
    plan.strategy !== 'single' && cosUploadId !== null
      ? { ...fields, strategy: plan.strategy, cosUploadId }
      : { ...fields, strategy: 'single', cosUploadId };
  await insertNewUpload(deps, record, limits, opts.seal?.(record));
  deps.log.info('upload created', {
    uploadId: id,
    strategy: plan.strategy,
    size: plan.size,
    partCount: plan.partCount,
    profile: limits.profile,
  });
  return record;
}
