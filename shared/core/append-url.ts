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
  // No URL outlives its upload.
  const expiresSeconds = Math.min(deps.limits.urlExpiresSeconds, secondsLeft(upload, now));
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
