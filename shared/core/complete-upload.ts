import { isStorageRejection, partsInvalid, uploadNotOpen } from '../errors.ts';
import type { UploadPatch, UploadRecord } from '../ports.ts';
import { isOrphanedCompletion, sleepOn } from './completion-lease.ts';
import { errorFromStored, ledgerFor, NO_PROBLEMS } from './completion-rules.ts';
import { afterLostWrite } from './lost-race.ts';
import type { CoreDeps } from './deps.ts';
import { assertOpen } from './owned-upload.ts';
import { type PartInput, recordParts } from './record-parts.ts';
import { verifyUploadParts } from './verify-parts.ts';

export interface CompleteResult {
  upload: UploadRecord;
  /** false: COS is still merging (the route answers 202); the worker finishes and the store says when. */
  done: boolean;
}

/** How often complete looks at the store while its worker merges: soon at first, then calmly. */
const FIRST_LOOK_MS = 25;
const MAX_LOOK_MS = 500;

/**
 * `POST /v1/uploads/{id}/complete`. The ledger is verified against COS's List Parts before
 * anything is assembled (a refusal is a 409 and changes nothing); `open → completing` is one
 * conditional write, so of two completes, or a complete racing an abort or the sweep, one wins.
 * The merge itself is the completion worker's (completion-worker.ts): on real COS it can take
 * minutes, longer than any API request may last. This waits up to COMPLETE_WAIT_SECONDS for the
 * worker's outcome and otherwise answers with the upload still `completing`.
 */
export async function completeUpload(
  deps: CoreDeps,
  upload: UploadRecord,
  bodyParts: readonly PartInput[] = [],
): Promise<CompleteResult> {
  const started = await beginCompletion(deps, upload, bodyParts);
  return awaitOutcome(deps, started, completeDeadline(deps));
}

/** When a complete that starts now stops waiting for its worker: COMPLETE_WAIT_SECONDS from now. */
export const completeDeadline = (deps: Pick<CoreDeps, 'clock' | 'limits'>): number =>
  deps.clock.now().getTime() + deps.limits.completeWaitSeconds * 1000;

/**
 * Complete's first half, with no waiting: verified and moved to `completing` (or already
 * completed, or a completing upload whose dead worker is replaced). batch-complete starts every
 * item with this and then waits once for all of them ({@link awaitOutcome}).
 */
export async function beginCompletion(
  deps: CoreDeps,
  upload: UploadRecord,
  bodyParts: readonly PartInput[] = [],
): Promise<UploadRecord> {
  if (upload.state === 'completed') return upload;
  if (upload.state === 'completing') {
    await redriveIfOrphaned(deps, upload);
    return upload;
  }
  assertOpen(upload, deps.clock.now());
  if (bodyParts.length > 0) await recordParts(deps, upload, bodyParts);
  return startAssembly(deps, upload);
}

/**
 * Verifies, then hands the upload to a worker. When COS no longer knows the multipart upload the
 * worker decides (HEAD, within the grace window): a merge may have finished behind a lost answer.
 */
async function startAssembly(deps: CoreDeps, u: UploadRecord): Promise<UploadRecord> {
  const plan = await verifyBeforeAssembly(deps, u);
  const at = deps.clock.now().toISOString();
  // leaseUntil null is what the DynamoDB Stream filter starts a worker on (serverless.yml).
  const set: UploadPatch = { ...plan, assemblyStartedAt: at, lastError: null, leaseUntil: null };
  const moved = await deps.store.transition(u.id, { from: ['open'], to: 'completing', set, at });
  if (moved) {
    deps.completions.started(u.id);
    return moved;
  }
  const current = await afterLostWrite(deps, u.id);
  if (current.state === 'completed' || current.state === 'completing') return current;
  throw uploadNotOpen(current.state);
}

async function verifyBeforeAssembly(deps: CoreDeps, u: UploadRecord): Promise<Pick<UploadPatch, 'size' | 'partCount'>> {
  if (!u.cosUploadId) {
    // A single PUT from before single uploads were one-part multipart uploads: its object is the part.
    const head = await deps.storage.headObject(u.key);
    if (!head) throw partsInvalid({ ...NO_PROBLEMS, missing: [1] }, 'the object has not been uploaded');
    if (head.size !== u.size) {
      throw partsInvalid({ ...NO_PROBLEMS, wrongSize: [{ partNumber: 1, expected: u.size ?? 0, actual: head.size }] });
    }
    return {};
  }
  const ledger = await deps.store.listParts(u.id);
  let stored;
  try {
    stored = await deps.storage.listParts(u.key, u.cosUploadId);
  } catch (e) {
    if (isStorageRejection(e, 'NoSuchUpload')) return {};
    throw e;
  }
  const result = verifyUploadParts(u, ledgerFor(u, ledger, stored), stored);
  if (!result.ok) {
    deps.log.warn('complete refused', { uploadId: u.id, details: result.details });
    throw partsInvalid(result.details);
  }
  return { size: result.value.size, partCount: result.value.partCount };
}

/** A dead worker's upload (lease run out, or never claimed) goes to a new worker; a live one is left alone. */
async function redriveIfOrphaned(deps: CoreDeps, u: UploadRecord): Promise<void> {
  const now = deps.clock.now();
  if (!isOrphanedCompletion(u, now)) return;
  const released = await deps.store.transition(u.id, {
    from: ['completing'],
    to: 'completing',
    set: { leaseUntil: null },
    leaseFreeAt: now.toISOString(),
    at: now.toISOString(),
  });
  if (released) {
    deps.log.info('completion re-driven', { uploadId: u.id, leaseUntil: u.leaseUntil });
    deps.completions.started(u.id);
  }
}

/**
 * The worker's outcome as the store shows it, until `deadline` (epoch ms); else still `completing`.
 * A completed upload answers at once; one handed back open is refused with its lastError.
 */
export async function awaitOutcome(deps: CoreDeps, u: UploadRecord, deadline: number): Promise<CompleteResult> {
  let current = u;
  for (let wait = FIRST_LOOK_MS; ; wait = Math.min(wait * 2, MAX_LOOK_MS)) {
    if (current.state === 'completed') return { upload: current, done: true };
    if (current.state === 'open') {
      throw current.lastError
        ? errorFromStored(current.lastError)
        : uploadNotOpen('open', 'the assembly was handed back; complete again');
    }
    if (current.state !== 'completing') throw uploadNotOpen(current.state, current.lastError?.message);
    if (deps.clock.now().getTime() + wait > deadline) return { upload: current, done: false };
    await sleepOn(deps.clock, wait);
    current = await afterLostWrite(deps, u.id);
  }
}
