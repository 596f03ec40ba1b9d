import type { ListFilter, Page, UploadRecord } from '../ports.ts';
import type { CoreDeps } from './deps.ts';
import { toAdminUpload } from './upload-view.ts';

export const DEFAULT_LIST_LIMIT = 100;
export const MAX_LIST_LIMIT = 1000;

/**
 * The admin listing, newest first. Filters apply to the stored state: an open upload past
 * `expiresAt` shows as `expired` in the view but is found by `state=open` until the sweep marks it.
 */
export async function listUploads(deps: Pick<CoreDeps, 'store' | 'clock'>, filter: ListFilter) {
  // A tampered cursor is the adapter's VALIDATION_FAILED at path `cursor`: route() says where it came from.
  const page: Page<UploadRecord> = await deps.store.list(filter);
  const now = deps.clock.now();
  return { uploads: page.items.map((u) => toAdminUpload(u, now)), nextCursor: page.nextCursor };
}
