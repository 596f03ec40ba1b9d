import { isStorageRejection, isUploadError, partsInvalid } from '../errors.ts';
import type { StoredPart } from '../ports.ts';
import { sleepOn, workerTuning } from './completion-lease.ts';
import { ledgerFor, NO_PROBLEMS } from './completion-rules.ts';
import { objectHeadersOf } from './new-object.ts';
import type { CoreDeps } from './deps.ts';
import { appendStagingKey } from './keys.ts';
import { isServerBuilt, sendServerParts } from './server-parts.ts';
import { verifyUploadParts } from './verify-parts.ts';
import {
  assemble,
  awaitObject,
  type CompletionOutcome,
  handBack,
  note,
  reopen,
  type Run,
  settle,
} from './completion-steps.ts';

export type { CompletionOutcome } from './completion-steps.ts';

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
  const put = await deps.storage.putObject(u.key, new Uint8Array(0), objectHeadersOf(u));
  await deps.storage.abortMultipart(u.key, cosUploadId);
  return settle(run, u.crc64, { etag: put.etag, crc64: put.crc64, size: 0, partCount: 1 });
}
