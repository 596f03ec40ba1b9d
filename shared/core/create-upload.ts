import { contentTypeNotAllowed, tooManyOpenUploads } from '../errors.ts';
import type { UploadRecord } from '../ports.ts';
import { contentTypeAllowed } from './content-type.ts';
import type { CoreDeps } from './deps.ts';
import { objectKey } from './keys.ts';
import { planUpload } from './plan.ts';

export interface CreateUploadInput {
  fileName: string;
  size?: number;
  maxSize?: number;
  contentType?: string;
  partSize?: number;
  metadata?: Record<string, string>;
  crc64?: string;
}

export const DEFAULT_CONTENT_TYPE = 'application/octet-stream';

/**
 * Plans the upload, enforces type and quota, and for multipart initiates the COS upload before
 * the record exists — a record never points at a COS upload that was not created. If the insert
 * then fails, the COS upload is an orphan the sweep reconciles.
 */
export async function createUpload(deps: CoreDeps, owner: string, input: CreateUploadInput): Promise<UploadRecord> {
  const { limits } = deps;
  const contentType = input.contentType ?? DEFAULT_CONTENT_TYPE;
  if (!contentTypeAllowed(contentType, limits.allowedContentTypes)) throw contentTypeNotAllowed(contentType);
  const plan = planUpload(input, limits);

  // The count and the insert are not atomic: concurrent creates can pass the quota by the number
  // racing. The quota bounds abuse, not a hard resource, so that slack is accepted.
  const open = await deps.store.countOpenByOwner(owner);
  if (open >= limits.maxOpenUploadsPerOwner) throw tooManyOpenUploads(limits.maxOpenUploadsPerOwner);

  const id = deps.ids.uploadId();
  const key = objectKey(limits.keyPrefix, owner, id, input.fileName);
  const metadata = input.metadata ?? {};
  const cosUploadId =
    plan.strategy === 'multipart' ? await deps.storage.initiateMultipart(key, { contentType, metadata }) : null;

  const now = deps.clock.now();
  const at = now.toISOString();
  const record: UploadRecord = {
    id,
    owner,
    state: 'open',
    strategy: plan.strategy,
    bucket: deps.storage.bucket,
    region: deps.storage.region,
    key,
    cosUploadId,
    fileName: input.fileName,
    contentType,
    size: plan.size,
    maxSize: plan.maxSize,
    partSize: plan.partSize,
    partCount: plan.partCount,
    metadata,
    crc64: input.crc64 ?? null,
    createdAt: at,
    updatedAt: at,
    expiresAt: new Date(now.getTime() + limits.uploadTtlSeconds * 1000).toISOString(),
    lastActivityAt: at,
    completedAt: null,
    etag: null,
    location: null,
  };
  await deps.store.create(record);
  deps.log.info('upload created', {
    uploadId: id,
    strategy: plan.strategy,
    size: plan.size,
    partCount: plan.partCount,
  });
  return record;
}
