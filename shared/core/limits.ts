import type { UploadProfile } from './profiles.ts';

/** The limits the core enforces, taken from config once (see fromConfig in deps). */
export interface Limits {
  maxUploadBytes: number;
  maxParts: number;
  minPartBytes: number;
  defaultPartBytes: number;
  singlePutMaxBytes: number;
  allowedContentTypes: string;
  /** Storage classes a create may ask for (ALLOWED_STORAGE_CLASSES; COS names, checked at start-up). */
  allowedStorageClasses: readonly string[];
  /** x-cos-traffic-limit (bits/s) forced on every part URL (TRAFFIC_LIMIT_BPS); null = none. */
  trafficLimitBps: number | null;
  maxOpenUploadsPerOwner: number;
  urlExpiresSeconds: number;
  stsDurationSeconds: number;
  staleAfterSeconds: number;
  uploadTtlSeconds: number;
  keyPrefix: string;
  /** How long `complete` waits for its merge before answering 202 (COMPLETE_WAIT_SECONDS). */
  completeWaitSeconds: number;
  /** How long "no COS upload and no object" is tolerated after an assembly started (COMPLETE_GRACE_SECONDS). */
  completeGraceSeconds: number;
  /** Named upload profiles (UPLOAD_PROFILES), each within the limits above (profiles.ts). */
  profiles: Readonly<Record<string, UploadProfile>>;
  /** Content verification at complete (VERIFY_CONTENT_TYPE). */
  verifyContentType: boolean;
}
