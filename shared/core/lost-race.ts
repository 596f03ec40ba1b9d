import { notFound, uploadNotOpen } from '../errors.ts';
import type { UploadRecord } from '../ports.ts';
import type { StoreDeps } from './deps.ts';
import { effectiveState } from './upload-view.ts';

/**
 * A conditional write lost: the upload changed between our read and our write (a complete, an
 * abort, the sweep or expiry won). The upload as it is now — or 404 if it is gone, as any unknown
 * id answers. One place decides this, so every use case answers a lost race the same way.
 */
export async function afterLostWrite(deps: Pick<StoreDeps, 'store'>, id: string): Promise<UploadRecord> {
  const current = await deps.store.get(id);
  if (!current) throw notFound('upload not found');
  return current;
}

/** The contract's 409 for a lost race: the upload is no longer open for this operation, and what it is. */
export async function lostRace(deps: Pick<StoreDeps, 'store' | 'clock'>, id: string): Promise<never> {
  const current = await afterLostWrite(deps, id);
  throw uploadNotOpen(effectiveState(current, deps.clock.now()));
}
