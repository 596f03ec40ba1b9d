import { notConfigured, uploadNotOpen } from '../errors.ts';
import { lostRace } from './lost-race.ts';
import type { UploadRecord } from '../ports.ts';
import type { StoreDeps } from './deps.ts';
import { assertOpen, assertTakesParts } from './owned-upload.ts';
import { secondsLeft } from './part-urls.ts';
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
  assertTakesParts(upload);
  if (!deps.issuer) throw notConfigured('issuing temporary credentials');
  if (!upload.cosUploadId)
    throw uploadNotOpen(upload.state, 'this upload predates temporary keys for single PUTs: create it again');
  const durationSeconds = keyDuration(deps.limits.stsDurationSeconds, secondsLeft(upload, now));
  const grant = temporaryKeyGrant(upload);
  const allow = grantedActions(grant);

  if (!(await deps.store.touch(upload.id, now.toISOString()))) await lostRace(deps, upload.id);
  const c = await deps.issuer.issue({ name: upload.id, grant, durationSeconds });
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

/** STS's shortest key lifetime this service asks for (STS_DURATION_SECONDS's minimum). */
export const STS_MIN_DURATION_SECONDS = 900;
/** Kept between the keys' end and the upload's: STS starts counting when it answers, on its clock. */
const STS_MARGIN_SECONDS = 10;

/**
 * Keys never outlive the upload: `configured`, capped at the time left less a margin, rounded down
 * to the minute (so repeated asks within a minute hit the issuer's cache instead of STS). Below
 * STS's minimum the upload is refused (409) rather than given keys that would outlast it.
 */
function keyDuration(configured: number, left: number): number {
  const capped = Math.floor((left - STS_MARGIN_SECONDS) / 60) * 60;
  if (configured <= capped) return configured;
  if (capped < STS_MIN_DURATION_SECONDS) {
    throw uploadNotOpen(
      'open',
      `upload expires in ${Math.max(0, left)} s, too soon for temporary keys (at least ${STS_MIN_DURATION_SECONDS} s): use part URLs`,
    );
  }
  return capped;
}
