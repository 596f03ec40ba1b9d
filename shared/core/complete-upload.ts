import { isStorageRejection, partsInvalid, storageRejected, uploadNotOpen } from '../errors.ts';
import type { CompletedObject, StoredPart, UploadRecord } from '../ports.ts';
import type { CoreDeps } from './deps.ts';
import { assertOpen } from './owned-upload.ts';
import { type PartInput, recordParts } from './record-parts.ts';
import { quoteEtag, type Verified, verifyUploadParts } from './verify-parts.ts';

const NO_PROBLEMS = { missing: [] as number[], wrongSize: [], etagMismatch: [] };

/**
 * Completes an upload server-side. The ledger is verified against COS before anything is
 * assembled; `open → completing` is a conditional write, so two completes, or a complete racing
 * an abort or the sweep, have one winner. A complete that died after COS assembled the object
 * (COS then says NoSuchUpload) is finished by confirming the object with HEAD.
 */
export async function completeUpload(
  deps: CoreDeps,
  upload: UploadRecord,
  bodyParts: readonly PartInput[] = [],
): Promise<UploadRecord> {
  if (upload.state === 'completed') return upload;
  // `completing` is taken over: it is either a concurrent complete (COS serialises the two) or one
  // that crashed midway, which would otherwise stay stuck forever.
  if (upload.state !== 'completing') assertOpen(upload, deps.clock.now());
  if (bodyParts.length > 0 && upload.state === 'open') await recordParts(deps, upload, bodyParts);
  return upload.strategy === 'single' ? completeSingle(deps, upload) : completeMultipart(deps, upload);
}

async function completeMultipart(deps: CoreDeps, upload: UploadRecord): Promise<UploadRecord> {
  const cosUploadId = upload.cosUploadId!;
  const ledger = await deps.store.listParts(upload.id);
  let stored: StoredPart[];
  try {
    stored = await deps.storage.listParts(upload.key, cosUploadId);
  } catch (e) {
    if (isStorageRejection(e, 'NoSuchUpload')) return recoverFromObject(deps, upload, null);
    throw e;
  }
  const result = verifyUploadParts(upload, ledger, stored);
  if (!result.ok) {
    await reopen(deps, upload);
    deps.log.warn('complete refused', { uploadId: upload.id, details: result.details });
    throw partsInvalid(result.details);
  }
  const plan = result.value;
  const completing = await transitionOrCurrent(deps, upload, ['open', 'completing'], 'completing', {
    size: plan.size,
    partCount: plan.partCount,
  });
  if (completing.state !== 'completing') return completing;

  let done: CompletedObject;
  try {
    done = await deps.storage.completeMultipart(upload.key, cosUploadId, plan.parts);
  } catch (e) {
    if (isStorageRejection(e, 'NoSuchUpload')) return recoverFromObject(deps, completing, plan);
    await reopen(deps, completing);
    if (isStorageRejection(e, 'InvalidPart', 'InvalidPartOrder', 'EntityTooSmall')) {
      throw partsInvalid({ ...NO_PROBLEMS, storage: e.details.reason }, 'COS refused the parts');
    }
    throw e;
  }

  const crc64 =
    done.crc64 ?? (plan.expectedCrc64 ? ((await deps.storage.headObject(upload.key))?.crc64 ?? null) : null);
  if (plan.expectedCrc64 && crc64 !== plan.expectedCrc64) {
    return rejectCorruptObject(deps, completing, plan.expectedCrc64, crc64 ?? 'none');
  }
  return finish(deps, completing, {
    etag: done.etag,
    location: done.location,
    crc64: crc64 ?? upload.crc64,
    size: plan.size,
    partCount: plan.partCount,
  });
}

async function completeSingle(deps: CoreDeps, upload: UploadRecord): Promise<UploadRecord> {
  const head = await deps.storage.headObject(upload.key);
  if (!head) throw partsInvalid({ ...NO_PROBLEMS, missing: [1] }, 'the object has not been uploaded');
  const details = { ...NO_PROBLEMS, wrongSize: [] as { partNumber: number; expected: number; actual: number }[] };
  if (head.size !== upload.size)
    details.wrongSize.push({ partNumber: 1, expected: upload.size ?? 0, actual: head.size });
  const crcBad = upload.crc64 !== null && head.crc64 !== null && head.crc64 !== upload.crc64;
  if (details.wrongSize.length > 0 || crcBad) {
    throw partsInvalid(
      crcBad ? { ...details, crc64Mismatch: { expected: upload.crc64!, actual: head.crc64! } } : details,
    );
  }
  const completing = await transitionOrCurrent(deps, upload, ['open', 'completing'], 'completing');
  if (completing.state !== 'completing') return completing;
  return finish(deps, completing, {
    etag: head.etag,
    location: locationOf(upload),
    crc64: head.crc64 ?? upload.crc64,
    size: head.size,
    partCount: 1,
  });
}

/**
 * COS no longer knows the multipart upload: a previous complete assembled it (and we crashed
 * before recording that), or it was aborted behind our back. HEAD tells which.
 */
async function recoverFromObject(deps: CoreDeps, upload: UploadRecord, plan: Verified | null): Promise<UploadRecord> {
  const head = await deps.storage.headObject(upload.key);
  const sizeOk =
    head !== null &&
    (plan ? head.size === plan.size : upload.size === null ? head.size <= upload.maxSize : head.size === upload.size);
  const expected = plan?.expectedCrc64 ?? upload.crc64;
  const crcOk = head !== null && (expected === null || head.crc64 === null || head.crc64 === expected);
  if (head && sizeOk && crcOk) {
    deps.log.info('complete recovered from object', { uploadId: upload.id });
    const partCount = Math.max(1, Math.ceil(head.size / upload.partSize));
    return finish(deps, upload, {
      etag: head.etag,
      location: locationOf(upload),
      crc64: head.crc64 ?? expected,
      size: head.size,
      partCount,
    });
  }
  // Nothing usable in COS and no multipart upload to add parts to: the upload cannot complete.
  deps.log.warn('multipart upload vanished', { uploadId: upload.id, objectFound: head !== null });
  const aborted = await deps.store.transition(upload.id, {
    from: ['open', 'completing'],
    to: 'aborted',
    at: deps.clock.now().toISOString(),
  });
  throw uploadNotOpen(aborted?.state ?? 'aborted', 'the COS multipart upload no longer exists');
}

/**
 * The assembled object's CRC64 differs from what the parts promised: the bytes are not the
 * file. It is deleted (a corrupt object never appears completed) and a fresh multipart upload
 * replaces the old one, so the client can re-upload; the stale ledger entries show as missing.
 */
async function rejectCorruptObject(
  deps: CoreDeps,
  upload: UploadRecord,
  expected: string,
  actual: string,
): Promise<never> {
  deps.log.error('crc64 mismatch after complete', { uploadId: upload.id, expected, actual });
  await deps.storage.deleteObject(upload.key);
  const cosUploadId = await deps.storage.initiateMultipart(upload.key, {
    contentType: upload.contentType,
    metadata: upload.metadata,
  });
  await deps.store.transition(upload.id, {
    from: ['completing'],
    to: 'open',
    set: { cosUploadId },
    at: deps.clock.now().toISOString(),
  });
  throw partsInvalid(
    { ...NO_PROBLEMS, crc64Mismatch: { expected, actual } },
    'the assembled object does not match the declared CRC64',
  );
}

async function finish(
  deps: CoreDeps,
  upload: UploadRecord,
  r: { etag: string; location: string; crc64: string | null; size: number; partCount: number },
): Promise<UploadRecord> {
  const at = deps.clock.now().toISOString();
  const set = {
    etag: quoteEtag(r.etag),
    location: r.location,
    crc64: r.crc64,
    size: r.size,
    partCount: r.partCount,
    completedAt: at,
  };
  const done = await transitionOrCurrent(deps, upload, ['open', 'completing'], 'completed', set);
  if (done.state !== 'completed') throw uploadNotOpen(done.state);
  deps.log.info('upload completed', { uploadId: upload.id, size: r.size, partCount: r.partCount });
  return done;
}

/** A conditional transition; when it loses, the current record (maybe completed by the winner). */
async function transitionOrCurrent(
  deps: CoreDeps,
  upload: UploadRecord,
  from: UploadRecord['state'][],
  to: UploadRecord['state'],
  set?: Parameters<CoreDeps['store']['transition']>[1]['set'],
): Promise<UploadRecord> {
  const updated = await deps.store.transition(upload.id, { from, to, set, at: deps.clock.now().toISOString() });
  if (updated) return updated;
  const current = await deps.store.get(upload.id);
  if (!current) throw storageRejected('Other', 'upload disappeared during complete');
  if (current.state === 'completed') return current;
  throw uploadNotOpen(current.state);
}

/** Back to open after a refused or failed complete, so the client can fix parts and retry. */
async function reopen(deps: CoreDeps, upload: UploadRecord): Promise<void> {
  await deps.store.transition(upload.id, { from: ['completing'], to: 'open', at: deps.clock.now().toISOString() });
}

const locationOf = (u: UploadRecord) => `${u.bucket}.cos.${u.region}.myqcloud.com/${u.key}`;
