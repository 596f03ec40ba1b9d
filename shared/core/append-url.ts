import { appendPositionMismatch, uploadNotOpen, uploadTooLarge, validationFailed } from '../errors.ts';
import type { PresignedRequest, UploadRecord } from '../ports.ts';
import type { CoreDeps } from './deps.ts';
import { appendStagingKey } from './keys.ts';
import { lostRace } from './lost-race.ts';
import { assertOpen } from './owned-upload.ts';
import { secondsLeft } from './part-urls.ts';

export interface AppendUrlInput {
  position: number;
  size: number;
}

export interface AppendUrl extends PresignedRequest {
  method: 'POST';
}

/**
 * A URL for position 0 lives at most this long. It is the one append URL that can still write
 * after the seal: once the staging object is deleted, COS takes position 0 again and re-creates it
 * (a stray object; the sweep lists uploads, not objects, so nothing would delete it), while every
 * other position fails on a missing object (PositionNotEqualToLength, 436/7741). Clients ask for a
 * piece's URL just before sending it, so five minutes costs them nothing and bounds that window.
 */
export const FIRST_PIECE_URL_SECONDS = 300;

/**
 * `POST /v1/uploads/{id}/append-url`: a presigned APPEND Object (436/7741) on the upload's staging
 * object at `position`, binding `size` as Content-Length. The server HEADs the staging object and
 * refuses a position that is not its length (409 APPEND_POSITION_MISMATCH with `{ expected,
 * actual }`): COS would refuse it too (PositionNotEqualToLength), but only after the client sent
 * the bytes. A position that races another client's append still reaches COS, which decides.
 */
export async function appendUrl(deps: CoreDeps, upload: UploadRecord, input: AppendUrlInput): Promise<AppendUrl> {
  const now = deps.clock.now();
  assertOpen(upload, now);
  if (upload.strategy !== 'append') {
    throw validationFailed([{ path: ['id'], message: 'only an upload created with mode "append" takes append URLs' }]);
  }
  if (input.position + input.size > upload.maxSize) {
    throw uploadTooLarge(`position + size ${input.position + input.size} exceeds maxSize ${upload.maxSize}`, {
      maxSize: upload.maxSize,
    });
  }
  const key = appendStagingKey(upload.key);
  const head = await deps.storage.headObject(key);
  const actual = head?.size ?? 0;
  if (actual !== input.position) throw appendPositionMismatch(input.position, actual);
  // No URL outlives its upload; the first piece's lives only minutes (FIRST_PIECE_URL_SECONDS).
  const expiresSeconds = Math.min(
    deps.limits.urlExpiresSeconds,
    secondsLeft(upload, now),
    input.position === 0 ? FIRST_PIECE_URL_SECONDS : Number.POSITIVE_INFINITY,
  );
  if (expiresSeconds < 1) throw uploadNotOpen('expired', 'upload expires in less than a second');
  const signed = deps.storage.presignAppendObject(key, {
    position: input.position,
    contentLength: input.size,
    now,
    expiresSeconds,
  });
  // Asking for a URL is activity: a recording still being appended to is not stale.
  if (!(await deps.store.touch(upload.id, now.toISOString()))) await lostRace(deps, upload.id);
  return { ...signed, method: 'POST' };
}
