import type { MultipartUploadListing, UploadRecord } from '../ports.ts';
import { uploadIdFromKey } from './keys.ts';
import { type CosMarker, encodeSweepCursor } from './sweep-cursor.ts';
import { errorCode, forEachLimited, ownsCosUpload, type SweepRun } from './sweep-run.ts';

/** COS's own ceiling for one ListMultipartUploads page. */
const COS_PAGE = 1000;
/** Guards against a listing whose markers never advance (a COS bug must not spin a Lambda). */
const MAX_PAGES = 50;
const CONCURRENCY = 8;

type Listed = MultipartUploadListing['uploads'][number];

/**
 * Reconciles COS with the store: every multipart upload under the managed prefix that no open
 * (or completing) upload owns is aborted — the remnant of a create whose insert failed, of an
 * abort whose COS call failed, of a crash. Only uploads initiated before the threshold: a younger
 * one may belong to a create that has initiated in COS and not yet written its record.
 */
export async function reconcileCos(
  run: SweepRun,
  start?: CosMarker,
): Promise<{ more: boolean; nextCursor: string | null }> {
  const { storage, limits } = run.deps;
  const records = new Map<string, Promise<UploadRecord | null>>();
  let marker = start;
  for (let page = 0; page < MAX_PAGES; page++) {
    if (run.cosLeft <= 0) return { more: true, nextCursor: marker ? encodeSweepCursor(marker) : null };
    const listing = await storage.listMultipartUploads(limits.keyPrefix, {
      keyMarker: marker?.keyMarker,
      uploadIdMarker: marker?.uploadIdMarker,
      maxUploads: Math.min(COS_PAGE, run.cosLeft),
    });
    const uploads = listing.uploads.slice(0, run.cosLeft);
    run.cosLeft -= uploads.length;
    await forEachLimited(uploads, CONCURRENCY, (u) => reconcileOne(run, u, records));
    const cut = uploads.length < listing.uploads.length;
    if (!listing.isTruncated && !cut) return { more: false, nextCursor: null };
    const next = nextMarker(cut ? null : listing, uploads);
    if (!next || (next.keyMarker === marker?.keyMarker && next.uploadIdMarker === marker?.uploadIdMarker)) {
      run.log.warn('sweep cos listing does not advance', { keyMarker: marker?.keyMarker ?? null });
      return { more: true, nextCursor: null };
    }
    marker = next;
  }
  return { more: true, nextCursor: marker ? encodeSweepCursor(marker) : null };
}

async function reconcileOne(
  run: SweepRun,
  u: Listed,
  records: Map<string, Promise<UploadRecord | null>>,
): Promise<void> {
  const initiated = Date.parse(u.initiated);
  // Unknown age counts as young: aborting a live upload is worse than keeping a remnant a while.
  if (!Number.isFinite(initiated) || initiated >= Date.parse(run.threshold)) return;
  const { store, storage, limits } = run.deps;
  const id = uploadIdFromKey(limits.keyPrefix, u.key);
  try {
    let record: Promise<UploadRecord | null> | undefined;
    if (id) {
      record = records.get(id) ?? store.get(id);
      records.set(id, record);
    }
    const owner = record ? await record : null;
    if (ownsCosUpload(owner, u.uploadId)) return;
    if (!run.dryRun) await storage.abortMultipart(u.key, u.uploadId);
    run.report.orphans.push({ key: u.key, uploadId: u.uploadId });
    run.log.info('sweep action', {
      action: 'abort-orphan',
      key: u.key,
      cosUploadId: u.uploadId,
      uploadId: id,
      recordState: owner?.state ?? null,
      initiated: u.initiated,
      dryRun: run.dryRun,
    });
  } catch (e) {
    run.report.errors++;
    run.log.warn('sweep action failed', {
      action: 'abort-orphan',
      key: u.key,
      cosUploadId: u.uploadId,
      error: errorCode(e),
    });
  }
}

/** COS names the next page's markers when truncated; the last entry examined is the fallback. */
function nextMarker(listing: MultipartUploadListing | null, page: readonly Listed[]): CosMarker | null {
  const last = page.at(-1);
  const keyMarker = listing?.nextKeyMarker ?? last?.key;
  const uploadIdMarker = listing?.nextUploadIdMarker ?? last?.uploadId;
  return keyMarker && uploadIdMarker ? { keyMarker, uploadIdMarker } : null;
}
