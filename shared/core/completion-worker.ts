import { isStorageRejection, isUploadError, type PartsInvalidDetails, partsInvalid, uploadNotOpen } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { CompletedObject, PartRecord, StoredPart, UploadRecord } from '../ports.ts';
import { sleepOn, type WorkerTuning, workerTuning } from './completion-lease.ts';
import { expectedObjectCrc64, ledgerFor, NO_PROBLEMS, storedError } from './completion-rules.ts';
import type { CoreDeps } from './deps.ts';
import { appendStagingKey } from './keys.ts';
import { isServerBuilt, sendServerParts } from './server-parts.ts';
import { quoteEtag, verifyUploadParts } from './verify-parts.ts';

/** What one worker run did; `pending` = handed back (the merge is still running, or COS kept failing). */
export type CompletionOutcome = 'completed' | 'reopened' | 'aborted' | 'pending' | 'skipped';

interface Run {
  deps: CoreDeps;
  upload: UploadRecord;
  tuning: WorkerTuning;
  /** Epoch ms by which this run hands back whatever it has not settled. */
  deadline: number;
  log: Logger;
}

/**
 * The completion worker: finishes the merge of an upload in `completing`. In AWS a DynamoDB Stream
 * record starts it (functions/complete-worker.ts); locally the same code runs in-process. It takes
 * the upload's lease first, so of all the workers a stream, a retry and the sweep may start, one
 * merges; the rest return `skipped`. Every outcome is one conditional write from `completing`:
 * `completed`, back to `open` with `lastError`, or `aborted` after the grace window.
 */
export async function runCompletion(deps: CoreDeps, uploadId: string): Promise<CompletionOutcome> {
  const tuning = workerTuning(deps.worker);
  const start = deps.clock.now();
  const leased = await deps.store.transition(uploadId, {
    from: ['completing'],
    to: 'completing',
    set: { leaseUntil: new Date(start.getTime() + tuning.leaseSeconds * 1000).toISOString() },
    leaseFreeAt: start.toISOString(),
    at: start.toISOString(),
  });
  if (!leased) return 'skipped';
  const run: Run = {
    deps,
    upload: leased,
    tuning,
    deadline: start.getTime() + tuning.budgetMs,
    log: deps.log.child({ component: 'completion', uploadId }),
  };
  for (let wait = tuning.headPollMs; ; wait = Math.min(wait * 2, tuning.maxHeadPollMs)) {
    try {
      return await drive(run);
    } catch (e) {
      // A bug: leave the lease as a crash would (the sweep re-drives once it runs out), say why.
      if (!isUploadError(e) || e.status < 500) {
        await note(run, e).catch(() => undefined);
        throw e;
      }
      // COS or the store is unavailable: try again within this run, then hand back.
      run.log.warn('completion step failed', { error: e.code, reason: e.details.reason });
      if (deps.clock.now().getTime() + wait > run.deadline) return handBack(run, e);
      await sleepOn(deps.clock, wait);
    }
  }
}

async function drive(run: Run): Promise<CompletionOutcome> {
  const { deps, upload: u } = run;
  if (isServerBuilt(u) && u.cosUploadId) return driveServerBuilt(run, u.cosUploadId);
  const ledger = await deps.store.listParts(u.id);
  // An upload from before single PUTs were one-part multipart uploads: its object is the proof.
  if (!u.cosUploadId) return awaitObject(run, ledger);
  let stored: StoredPart[];
  try {
    stored = await deps.storage.listParts(u.key, u.cosUploadId);
  } catch (e) {
    if (isStorageRejection(e, 'NoSuchUpload')) return awaitObject(run, ledger);
    throw e;
  }
  const parts = ledgerFor(u, ledger, stored);
  const verified = verifyUploadParts(u, parts, stored);
  if (!verified.ok) return reopen(run, partsInvalid(verified.details));
  return assemble(run, u.cosUploadId, verified.value.parts, parts, {
    expectedCrc64: verified.value.expectedCrc64,
    size: verified.value.size,
    partCount: verified.value.partCount,
  });
}

/**
 * An upload whose parts the server writes (a compose, an append upload being sealed; see
 * server-parts.ts): send what COS does not list yet, then assemble. A source COS cannot read (gone,
 * shorter than recorded, not ours) hands the upload back to `open` with the reason.
 */
async function driveServerBuilt(run: Run, cosUploadId: string): Promise<CompletionOutcome> {
  const { deps, upload: u } = run;
  if (u.size === 0) return sealEmpty(run, cosUploadId);
  let stored: StoredPart[];
  try {
    stored = await deps.storage.listParts(u.key, cosUploadId);
  } catch (e) {
    if (isStorageRejection(e, 'NoSuchUpload')) return awaitObject(run, []);
    throw e;
  }
  let parts;
  try {
    parts = await sendServerParts(deps, { ...u, cosUploadId }, stored, run.deadline);
  } catch (e) {
    if (isStorageRejection(e, 'NoSuchUpload')) return awaitObject(run, []);
    if (isStorageRejection(e, 'NoSuchKey', 'AccessDenied', 'Other')) {
      return reopen(run, partsInvalid({ ...NO_PROBLEMS, storage: e.details.reason }, 'a source could not be copied'));
    }
    throw e;
  }
  if (parts === null) return handBack(run, null);
  return assemble(run, cosUploadId, parts, [], {
    expectedCrc64: u.strategy === 'append' ? await stagingCrc64(run) : u.crc64,
    size: u.size ?? 0,
    partCount: parts.length,
  });
}

/**
 * What a sealed append upload's object must hash to: the declared CRC64, else the staging object's
 * own while it is still exactly the sealed length (bytes appended after complete make it longer, and
 * a prefix's CRC64 cannot be had from COS: then the object completes unverified).
 */
async function stagingCrc64(run: Run): Promise<string | null> {
  const { deps, upload: u } = run;
  if (u.crc64) return u.crc64;
  const head = await deps.storage.headObject(appendStagingKey(u.key));
  return head && head.size === u.size ? head.crc64 : null;
}

/** Nothing was appended: the object is empty, which needs no part (COS has no 0-part Complete). */
async function sealEmpty(run: Run, cosUploadId: string): Promise<CompletionOutcome> {
  const { deps, upload: u } = run;
  const put = await deps.storage.putObject(u.key, new Uint8Array(0), {
    contentType: u.contentType,
    metadata: u.metadata,
  });
  await deps.storage.abortMultipart(u.key, cosUploadId);
  return settle(run, u.crc64, { etag: put.etag, crc64: put.crc64, size: 0, partCount: 1 });
}

async function assemble(
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
async function awaitObject(run: Run, ledger: readonly PartRecord[]): Promise<CompletionOutcome> {
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
 * CRC64s promise. None from COS is not a mismatch (436/43320): it completes unverified.
 */
function settle(
  run: Run,
  expected: string | null,
  obj: { etag: string; crc64: string | null; size: number; partCount: number },
): Promise<CompletionOutcome> {
  if (obj.crc64 !== null && expected !== null && obj.crc64 !== expected) {
    return rejectCorrupt(run, { crc64Mismatch: { expected, actual: obj.crc64 } });
  }
  return finish(run, { ...obj, crc64: obj.crc64 ?? expected, crc64Verified: obj.crc64 !== null && expected !== null });
}

async function finish(
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
async function rejectCorrupt(
  run: Run,
  problem: Partial<Pick<PartsInvalidDetails, 'crc64Mismatch' | 'wrongSize'>>,
): Promise<CompletionOutcome> {
  const { deps, upload: u } = run;
  run.log.error('assembled object does not match the parts', { ...problem });
  const cosUploadId = await deps.storage.initiateMultipart(u.key, { contentType: u.contentType, metadata: u.metadata });
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

/** COS refused the parts: back to open with the reason, so the client fixes them and completes again. */
async function reopen(run: Run, error: ReturnType<typeof partsInvalid>): Promise<CompletionOutcome> {
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
async function giveUp(run: Run): Promise<CompletionOutcome> {
  const { deps, upload: u } = run;
  run.log.warn('multipart upload vanished', { assemblyStartedAt: u.assemblyStartedAt });
  const error = uploadNotOpen('aborted', 'the COS multipart upload no longer exists and no object was assembled');
  const aborted = await deps.store.transition(u.id, {
    from: ['completing'],
    to: 'aborted',
    set: { lastError: storedError(error), leaseUntil: null },
    at: deps.clock.now().toISOString(),
  });
  return aborted ? 'aborted' : 'skipped';
}

/**
 * Out of time with the merge unsettled: release the lease so the next worker (the stream sees the
 * release; locally the sweep or a complete re-drives) carries on. A failure is kept as lastError.
 */
async function handBack(run: Run, error: unknown): Promise<CompletionOutcome> {
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
async function note(run: Run, error: unknown): Promise<void> {
  const { deps, upload: u } = run;
  run.log.error('completion worker failed', { error: error instanceof Error ? error.name : 'unknown' });
  await deps.store.transition(u.id, {
    from: ['completing'],
    to: 'completing',
    set: { lastError: storedError(error) },
    at: deps.clock.now().toISOString(),
  });
}
