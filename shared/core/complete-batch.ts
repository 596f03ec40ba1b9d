import { attempt, BATCH_CONCURRENCY, type ItemResult } from './batch-item.ts';
import { mapBounded } from './bounded.ts';
import { awaitOutcome, beginCompletion, type CompleteResult, completeDeadline } from './complete-upload.ts';
import type { CoreDeps } from './deps.ts';
import { type Caller, loadForWriting } from './owned-upload.ts';

/**
 * `POST /v1/uploads/batch-complete`: each id as `POST /v1/uploads/{id}/complete` would answer it,
 * in order, failing alone. Every item is started first (owner check, List Parts verification,
 * open → completing; at most BATCH_CONCURRENCY COS calls at a time), then all are waited for
 * together until one deadline, COMPLETE_WAIT_SECONDS after the batch began — one wait, not one per
 * item. An item still merging then answers its upload `completing` (`done: false`).
 */
export async function completeBatch(
  deps: CoreDeps,
  caller: Caller,
  ids: readonly string[],
): Promise<ItemResult<CompleteResult>[]> {
  const deadline = completeDeadline(deps);
  const started = await mapBounded(ids, BATCH_CONCURRENCY, (id) =>
    attempt(deps.log, async () => beginCompletion(deps, await loadForWriting(deps, caller, id))),
  );
  return Promise.all(started.map((s) => (s.ok ? attempt(deps.log, () => awaitOutcome(deps, s.value, deadline)) : s)));
}
