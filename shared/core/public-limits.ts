import { COS_MAX_PART_BYTES } from './cos-limits.ts';
import type { Limits } from './limits.ts';
import { publicProfiles } from './profiles.ts';

/** `GET /v1/limits`: what a client needs to plan an upload without guessing (docs/API.md, Operations). */
export function publicLimits(l: Limits) {
  return {
    maxUploadBytes: l.maxUploadBytes,
    maxParts: l.maxParts,
    minPartBytes: l.minPartBytes,
    maxPartBytes: COS_MAX_PART_BYTES,
    defaultPartBytes: l.defaultPartBytes,
    singlePutMaxBytes: l.singlePutMaxBytes,
    allowedContentTypes: l.allowedContentTypes
      .split(',')
      .map((t) => t.trim())
      .filter((t) => t.length > 0),
    allowedStorageClasses: [...l.allowedStorageClasses],
    maxOpenUploadsPerOwner: l.maxOpenUploadsPerOwner,
    urlExpiresSeconds: l.urlExpiresSeconds,
    stsDurationSeconds: l.stsDurationSeconds,
    uploadTtlSeconds: l.uploadTtlSeconds,
    profiles: publicProfiles(l),
  };
}
