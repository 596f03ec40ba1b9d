import { uploadNotOpen } from '../errors.ts';
import type { UploadRecord, UploadState } from '../ports.ts';
import type { CoreDeps } from './deps.ts';
import { appendStagingKey } from './keys.ts';
import { afterLostWrite } from './lost-race.ts';

/** States from which an abort (user, admin or sweep) may end an upload. */
const ABORTABLE: readonly UploadState[] = ['open'];

/**
 * Marks the upload aborted (conditionally — a complete that already started wins) and then
 * cleans COS: aborts the multipart upload. The store goes
 * first so no client can keep uploading into an upload being removed; if the COS call then
 * fails, the DELETE can be retried (it is idempotent) and the sweep's reconciliation catches
 * whatever is left.
 */
export async function abortUpload(
  deps: CoreDeps,
  upload: UploadRecord,
  opts: { to?: Extract<UploadState, 'aborted' | 'expired'>; reason?: string } = {},
): Promise<UploadRecord> {
  const to = opts.to ?? 'aborted';
  let current = upload;
  if (current.state === 'completed' || current.state === 'completing') throw uploadNotOpen(current.state);
  if (ABORTABLE.includes(current.state)) {
    const updated = await deps.store.transition(upload.id, { from: ABORTABLE, to, at: deps.clock.now().toISOString() });
    if (!updated) {
      current = await afterLostWrite(deps, upload.id);
      if (current.state === 'completed' || current.state === 'completing') throw uploadNotOpen(current.state);
    } else {
      current = updated;
    }
  }
  await cleanCos(deps, current);
  deps.log.info('upload ended', { uploadId: upload.id, state: current.state, reason: opts.reason ?? 'abort' });
  return current;
}

/**
 * Every upload is a COS multipart upload, so an ended one leaves no object: aborting the COS upload
 * is all — and for an append upload, deleting its staging object. Only a single PUT from before
 * that rule (no cosUploadId) may have left an object.
 */
export async function cleanCos(deps: Pick<CoreDeps, 'storage'>, upload: UploadRecord): Promise<void> {
  if (upload.strategy === 'append') await deps.storage.deleteObject(appendStagingKey(upload.key));
  if (upload.cosUploadId) await deps.storage.abortMultipart(upload.key, upload.cosUploadId);
  else if (upload.strategy === 'single') await deps.storage.deleteObject(upload.key);
}
