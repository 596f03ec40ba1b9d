import type { AdminUpload } from '../api/admin-response-schemas.ts';
import type { PublicPart, PublicUpload } from '../api/response-schemas.ts';
import type { PartRecord, UploadRecord, UploadState } from '../ports.ts';

// The mappers return the response schemas' own types (type-only imports: no zod in the core), so a
// field the schema lists and the mapper forgets, or the reverse, fails to compile.
export type { AdminUpload, PublicPart, PublicUpload };

/** An open upload past `expiresAt` is expired for every purpose, even before the sweep marks it. */
export function effectiveState(u: Pick<UploadRecord, 'state' | 'expiresAt'>, now: Date): UploadState {
  return u.state === 'open' && u.expiresAt <= now.toISOString() ? 'expired' : u.state;
}

/** The public upload object of docs/API.md (no owner, no internal activity stamp). */
export function toPublicUpload(u: UploadRecord, now: Date): PublicUpload {
  return {
    id: u.id,
    state: effectiveState(u, now),
    strategy: u.strategy,
    bucket: u.bucket,
    region: u.region,
    key: u.key,
    cosUploadId: u.cosUploadId,
    fileName: u.fileName,
    contentType: u.contentType,
    size: u.size,
    maxSize: u.maxSize,
    partSize: u.partSize,
    partCount: u.partCount,
    metadata: u.metadata,
    createdAt: u.createdAt,
    updatedAt: u.updatedAt,
    expiresAt: u.expiresAt,
    completedAt: u.completedAt,
    etag: u.etag,
    crc64: u.crc64,
    crc64Verified: u.crc64Verified,
    location: u.location,
    lastError: u.lastError,
    profile: u.profile,
    storageClass: u.storageClass,
    cacheControl: u.cacheControl,
    contentDisposition: u.contentDisposition,
    contentEncoding: u.contentEncoding,
    contentLanguage: u.contentLanguage,
    expires: u.expires,
  };
}

/** Admins also see who owns it and when it last moved. */
export const toAdminUpload = (u: UploadRecord, now: Date): AdminUpload => ({
  ...toPublicUpload(u, now),
  owner: u.owner,
  lastActivityAt: u.lastActivityAt,
});

export const toPublicPart = (p: PartRecord): PublicPart => ({
  partNumber: p.partNumber,
  etag: p.etag,
  size: p.size,
  ...(p.crc64 ? { crc64: p.crc64 } : {}),
});
