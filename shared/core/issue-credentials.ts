import { notConfigured, uploadNotOpen } from '../errors.ts';
import { lostRace } from './lost-race.ts';
import type { UploadRecord } from '../ports.ts';
import type { StoreDeps } from './deps.ts';
import { assertOpen } from './owned-upload.ts';
import { grantedActions, temporaryKeyGrant } from './temporary-key-grant.ts';

/** The body of `POST /v1/uploads/{id}/credentials` (docs/API.md), in its order. */
export interface CredentialsGrant {
  credentials: { tmpSecretId: string; tmpSecretKey: string; sessionToken: string };
  startTime: number;
  expiredTime: number;
  expiration: string;
  bucket: string;
  region: string;
  key: string;
  /** COS multipart UploadId (a single upload's too: it is part 1 of one). */
  uploadId: string;
  partSize: number;
  partCount: number | null;
  allow: string[];
}

/**
 * STS temporary keys that can do exactly one thing: put this upload's bytes into this upload's
 * object (parts of at most partSize, or one PUT of exactly size). Complete stays with the server.
 * Open uploads only; asking counts as activity, recorded before STS is called so a closed upload
 * never costs an STS call.
 */
export async function issueCredentials(deps: StoreDeps, upload: UploadRecord): Promise<CredentialsGrant> {
  const now = deps.clock.now();
  assertOpen(upload, now);
  if (!deps.issuer) throw notConfigured('issuing temporary credentials');
  if (!upload.cosUploadId)
    throw uploadNotOpen(upload.state, 'this upload predates temporary keys for single PUTs: create it again');
  const grant = temporaryKeyGrant(upload);
  const allow = grantedActions(grant);

  if (!(await deps.store.touch(upload.id, now.toISOString()))) await lostRace(deps, upload.id);
  const c = await deps.issuer.issue({ name: upload.id, grant, durationSeconds: deps.limits.stsDurationSeconds });
  deps.log.info('sts credentials issued', { uploadId: upload.id, allow, expiredTime: c.expiredTime });
  return {
    credentials: { tmpSecretId: c.tmpSecretId, tmpSecretKey: c.tmpSecretKey, sessionToken: c.sessionToken },
    startTime: c.startTime,
    expiredTime: c.expiredTime,
    expiration: c.expiration,
    bucket: upload.bucket,
    region: upload.region,
    key: upload.key,
    uploadId: upload.cosUploadId,
    partSize: upload.partSize,
    partCount: upload.partCount,
    allow,
  };
}
