import { isUploadError, type ValidationIssue, validationFailed } from '../errors.ts';
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
  let page: Page<UploadRecord>;
  try {
    page = await deps.store.list(filter);
  } catch (e) {
    // The adapters reject a tampered cursor with a bare `cursor` path; say where it came from.
    if (isUploadError(e) && e.code === 'VALIDATION_FAILED' && Array.isArray(e.details.issues)) {
      const issues = (e.details.issues as ValidationIssue[]).map((i) => ({ ...i, path: ['query', ...i.path] }));
      throw validationFailed(issues, e.message);
    }
    throw e;
  }
  const now = deps.clock.now();
  return { uploads: page.items.map((u) => toAdminUpload(u, now)), nextCursor: page.nextCursor };
}
