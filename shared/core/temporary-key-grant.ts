import type { UploadRecord } from '../ports.ts';

/** The COS actions temporary keys may perform, in the order docs/API.md's `allow` lists them. */
export type GrantedAction = 'UploadPart' | 'ListParts';

/**
 * What an upload's temporary keys may do — a domain decision, taken here once. Encoding it for
 * Tencent CAM (policy statements, `qcs::` resources, condition keys) is the STS adapter's job.
 */
export interface TemporaryKeyGrant {
  actions: readonly GrantedAction[];
  /** The one object they act on, exactly (never a prefix or wildcard). */
  object: { region: string; bucket: string; key: string };
  /** Upper bound of an Upload Part's Content-Length: the upload's part size. */
  maxPartBytes: number;
}

/**
 * Put bytes into this upload's object and nothing else: Upload Part of at most a part's size, and
 * List Parts so an SDK can resume. A single upload is part 1 of a one-part multipart upload whose
 * part size is its size, so it gets the same grant. Never PutObject (it could overwrite the
 * completed object or add headers the server never set), and never Initiate, Complete or Abort,
 * which stay with the server because it checks the parts before it assembles them.
 */
export function temporaryKeyGrant(u: Pick<UploadRecord, 'region' | 'bucket' | 'key' | 'partSize'>): TemporaryKeyGrant {
  if (!Number.isSafeInteger(u.partSize) || u.partSize <= 0) {
    throw new Error('temporary keys: partSize must be a positive byte count');
  }
  return {
    actions: ['UploadPart', 'ListParts'],
    object: { region: u.region, bucket: u.bucket, key: u.key },
    maxPartBytes: u.partSize,
  };
}

/** The credentials answer's `allow`: the granted actions as COS names them (`name/cos:UploadPart`). */
export const grantedActions = (g: TemporaryKeyGrant): string[] => g.actions.map((a) => `name/cos:${a}`);
