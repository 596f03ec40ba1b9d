import {
  isStorageRejection,
  isUploadError,
  type PartsInvalidDetails,
  partsInvalid,
  type UploadError,
  uploadNotOpen,
} from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { CompletedObject, PartRecord, UploadRecord } from '../ports.ts';
import { sleepOn, type WorkerTuning } from './completion-lease.ts';
import { expectedObjectCrc64, NO_PROBLEMS, storedError } from './completion-rules.ts';
import { contentProblem } from './content-verification.ts';
import type { CoreDeps } from './deps.ts';
import { objectHeadersOf } from './new-object.ts';
import { appendStagingKey } from './keys.ts';
import { quoteEtag } from './verify-parts.ts';

/**
 * The steps a completion worker run ends in (completion-worker.ts drives them): assembling the
 * listed parts, waiting for a merge's object, and the one conditional write from `completing` that
 * settles each outcome — completed, back to open, aborted, or handed back.
 */

/** What one worker run did; `pending` = handed back (the merge is still running, or COS kept failing). */
export type CompletionOutcome = 'completed' | 'reopened' | 'aborted' | 'pending' | 'skipped';

/** One worker run: what it works on and by when it must hand back. */
export interface Run {
  deps: CoreDeps;
  upload: UploadRecord;
  tuning: WorkerTuning;
  /** Epoch ms by which this run hands back whatever it has not settled. */
  deadline: number;
  log: Logger;
}

export async function assemble(
  run: Run,
  cosUploadId: string,
  list: readonly { partNumber: number; etag: string }[],
  ledger: readonly PartRecord[],
  plan: { expectedCrc64: string | null; size: number; partCount: number },
): Promise<CompletionOutcome> {
  const { deps, upload: u } = run;
  let done: CompletedObject;
  try {
    done = await deps.storage.completeMultipart(u.key, cosUploadId, list, {
      timeoutMs: Math.max(1_000, run.deadline - deps.clock.now().getTime()),
    });
  } catch (e) {
    // The merge went through on an attempt whose answer was lost, or is still running: HEAD decides.
    if (isStorageRejection(e, 'NoSuchUpload')) return awaitObject(run, ledger);
    if (isStorageRejection(e, 'InvalidPart', 'InvalidPartOrder', 'EntityTooSmall')) {
      return reopen(run, partsInvalid({ ...NO_PROBLEMS, storage: e.details.reason }, 'COS refused the parts'));
    }
    throw e;
  }
  // COS sends the object's CRC64 only when every part had one (436/43320); HEAD may still have it.
  const crc64 = done.crc64 ?? (await deps.storage.headObject(u.key))?.crc64 ?? null;
  return settle(run, plan.expectedCrc64, { etag: done.etag, crc64, size: plan.size, partCount: plan.partCount });
}

/**
 * COS no longer knows the multipart upload. Either a merge finished (an earlier attempt, another
 * worker) or is still running — real COS says NoSuchUpload and HEAD 404 for a while around a merge
 * (our assumption, the least convenient one, see local/cos/README.md) — or the upload was aborted behind
 * our back. So: HEAD until the object shows, and give up only after the grace window.
 */
export async function awaitObject(run: Run, ledger: readonly PartRecord[]): Promise<CompletionOutcome> {
  const { deps, upload: u, tuning } = run;
  const graceEnds = Date.parse(u.assemblyStartedAt ?? u.updatedAt) + deps.limits.completeGraceSeconds * 1000;
  for (let wait = tuning.headPollMs; ; wait = Math.min(wait * 2, tuning.maxHeadPollMs)) {
    const head = await deps.storage.headObject(u.key);
    if (head) {
      const sizeOk = u.size === null ? head.size <= u.maxSize : head.size === u.size;
      if (!sizeOk)
        return rejectCorrupt(run, { wrongSize: [{ partNumber: 0, expected: u.size ?? u.maxSize, actual: head.size }] });
      const partCount = u.partCount ?? Math.max(1, Math.ceil(head.size / u.partSize));
      return settle(run, expectedObjectCrc64(u, ledger), {
        etag: head.etag,
        crc64: head.crc64,
        size: head.size,
        partCount,
      });
    }
    const now = deps.clock.now().getTime();
    if (now >= graceEnds) return giveUp(run);
    if (now + wait > run.deadline) return handBack(run, null);
    run.log.debug('waiting for the merged object', { waitMs: wait });
    await sleepOn(deps.clock, wait);
  }
}

/**
 * The object exists: it is the file only if its CRC64 is the one the declared or recorded part
 * CRC64s promise. None from COS is not a mismatch (436/43320): it completes unverified. With
 * content verification on, the file must then also be what its declared type says.
 */
export async function settle(
  run: Run,
  expected: string | null,
  obj: { etag: string; crc64: string | null; size: number; partCount: number },
): Promise<CompletionOutcome> {
  if (obj.crc64 !== null && expected !== null && obj.crc64 !== expected) {
    return rejectCorrupt(run, { crc64Mismatch: { expected, actual: obj.crc64 } });
  }
  const mismatch = await contentProblem(run.deps, run.upload);
  if (mismatch) return rejectContent(run, mismatch);
  return finish(run, { ...obj, crc64: obj.crc64 ?? expected, crc64Verified: obj.crc64 !== null && expected !== null });
}

export async function finish(
  run: Run,
  r: { etag: string; crc64: string | null; crc64Verified: boolean; size: number; partCount: number },
): Promise<CompletionOutcome> {
  const { deps, upload: u } = run;
  // The staging object goes before the upload shows completed, so no completed append upload keeps one.
  if (u.strategy === 'append') await deps.storage.deleteObject(appendStagingKey(u.key));
  const at = deps.clock.now().toISOString();
  const done = await deps.store.transition(u.id, {
    from: ['completing'],
    to: 'completed',
    set: { ...r, etag: quoteEtag(r.etag), completedAt: at, lastError: null, leaseUntil: null },
    at,
  });
  if (!done) return 'skipped';
  run.log.info('upload completed', { size: r.size, partCount: r.partCount, crc64Verified: r.crc64Verified });
  return 'completed';
}

/**
 * The object at the key is not the file (its CRC64 or size differ). A fresh COS multipart upload
 * replaces the old one and the upload goes back to `open` first — one conditional write, so of two
 * workers only one reopens — and only that winner deletes the object: a corrupt object is never
 * `completed`, and a loser never deletes what a later, good complete wrote.
 */
export async function rejectCorrupt(
  run: Run,
  problem: Partial<Pick<PartsInvalidDetails, 'crc64Mismatch' | 'wrongSize'>>,
): Promise<CompletionOutcome> {
  const { deps, upload: u } = run;
  run.log.error('assembled object does not match the parts', { ...problem });
  const cosUploadId = await deps.storage.initiateMultipart(u.key, objectHeadersOf(u));
  const error = partsInvalid(
    { ...NO_PROBLEMS, ...problem },
    problem.crc64Mismatch
      ? 'the assembled object does not match the declared CRC64'
      : 'the assembled object has the wrong size',
  );
  const reopened = await deps.store.transition(u.id, {
    from: ['completing'],
    to: 'open',
    set: { cosUploadId, lastError: storedError(error), assemblyStartedAt: null, leaseUntil: null },
    at: deps.clock.now().toISOString(),
  });
  if (!reopened) {
    await deps.storage.abortMultipart(u.key, cosUploadId);
    return 'skipped';
  }
  await deps.storage.deleteObject(u.key);
  return 'reopened';
}

/**
 * The bytes are the parts the client sent, but not the type it declared (an `.exe` as
 * `image/png`): a retry cannot fix that, so the upload ends `aborted` with CONTENT_MISMATCH. The
 * object goes first — any worker judging the same bytes comes to the same verdict, so deleting
 * before the write never removes a file that could still complete — and no URL of the upload can
 * write it again (its COS upload id is gone with the merge).
 */
async function rejectContent(run: Run, error: UploadError): Promise<CompletionOutcome> {
  const { deps, upload: u } = run;
  run.log.warn('content does not match the declared type', { ...error.details });
  await deps.storage.deleteObject(u.key);
  // An append upload's staging object goes too: nothing of an aborted upload stays behind.
  if (u.strategy === 'append') await deps.storage.deleteObject(appendStagingKey(u.key));
  return abortWith(run, error);
}

/** `completing → aborted` with `error` as lastError: one conditional write, so of two workers one wins. */
async function abortWith(run: Run, error: UploadError): Promise<CompletionOutcome> {
  const { deps, upload: u } = run;
  const aborted = await deps.store.transition(u.id, {
    from: ['completing'],
    to: 'aborted',
    set: { lastError: storedError(error), leaseUntil: null },
    at: deps.clock.now().toISOString(),
  });
  return aborted ? 'aborted' : 'skipped';
}

/** COS refused the parts: back to open with the reason, so the client fixes them and completes again. */
export async function reopen(run: Run, error: ReturnType<typeof partsInvalid>): Promise<CompletionOutcome> {
  const { deps, upload: u } = run;
  run.log.warn('complete refused', { details: error.details });
  const reopened = await deps.store.transition(u.id, {
    from: ['completing'],
    to: 'open',
    set: { lastError: storedError(error), assemblyStartedAt: null, leaseUntil: null },
    at: deps.clock.now().toISOString(),
  });
  return reopened ? 'reopened' : 'skipped';
}

/** No multipart upload and no object long after the assembly started: it cannot complete. */
export async function giveUp(run: Run): Promise<CompletionOutcome> {
  run.log.warn('multipart upload vanished', { assemblyStartedAt: run.upload.assemblyStartedAt });
  return abortWith(
    run,
    uploadNotOpen('aborted', 'the COS multipart upload no longer exists and no object was assembled'),
  );
}

/**
 * Out of time with the merge unsettled: release the lease so the next worker (the stream sees the
 * release; locally the sweep or a complete re-drives) carries on. A failure is kept as lastError.
 */
export async function handBack(run: Run, error: unknown): Promise<CompletionOutcome> {
  const { deps, upload: u } = run;
  await deps.store.transition(u.id, {
    from: ['completing'],
    to: 'completing',
    set: { leaseUntil: null, ...(error ? { lastError: storedError(error) } : {}) },
    at: deps.clock.now().toISOString(),
  });
  run.log.info('completion handed back', { error: isUploadError(error) ? error.code : null });
  return 'pending';
}

/** Keeps the lease (as a crash would) and records why this run stopped. */
export async function note(run: Run, error: unknown): Promise<void> {
  const { deps, upload: u } = run;
  run.log.error('completion worker failed', { error: error instanceof Error ? error.name : 'unknown' });
  await deps.store.transition(u.id, {
    from: ['completing'],
    to: 'completing',
    set: { lastError: storedError(error) },
    at: deps.clock.now().toISOString(),
  });
}
