import { notFound, uploadNotOpen, validationFailed } from '../errors.ts';
import type { UploadRecord } from '../ports.ts';
import type { CoreDeps } from './deps.ts';
import { effectiveState } from './upload-view.ts';

export interface Caller {
  sub: string;
  admin: boolean;
}

/**
 * Loads an upload the caller may see. Another owner's id answers exactly like an unknown id
 * (404) so ids cannot be probed for existence.
 */
export async function loadOwned(deps: Pick<CoreDeps, 'store'>, caller: Caller, id: string): Promise<UploadRecord> {
  const upload = await deps.store.get(id);
  if (!upload || (upload.owner !== caller.sub && !caller.admin)) throw notFound('upload not found');
  return upload;
}

/**
 * Loads an upload for a route that writes bytes or changes what gets assembled (part URLs, the
 * ledger, temporary keys, complete): the owner's alone. An admin may read and abort any upload,
 * but on another owner's one these answer 404 like to anyone else (docs/API.md, roles).
 */
export const loadForWriting = (deps: Pick<CoreDeps, 'store'>, caller: Caller, id: string): Promise<UploadRecord> =>
  loadOwned(deps, { sub: caller.sub, admin: false }, id);

/** Throws UPLOAD_NOT_OPEN unless the upload is open and not past `expiresAt`. */
export function assertOpen(upload: UploadRecord, now: Date): void {
  const state = effectiveState(upload, now);
  if (state !== 'open') throw uploadNotOpen(state);
}

/**
 * Part URLs, the part ledger and temporary keys are for uploads whose client sends parts. An append
 * upload takes its bytes through append-url, and a compose's parts are copies the server makes
 * (a compose back to `open` after a failed copy must not take a client's bytes in their place):
 * 400, nothing changes.
 */
export function assertTakesParts(upload: UploadRecord): void {
  if (upload.strategy === 'append') {
    throw validationFailed([{ path: ['id'], message: 'an append upload takes its bytes through append-url' }]);
  }
  if (upload.composeSources !== null) {
    throw validationFailed([{ path: ['id'], message: "a compose's parts are copied by the server" }]);
  }
}
