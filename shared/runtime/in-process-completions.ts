import { type CompletionOutcome, runCompletion } from '../core/completion-worker.ts';
import type { CoreDeps } from '../core/deps.ts';
import type { CompletionTrigger } from '../ports.ts';

export interface InProcessCompletions extends CompletionTrigger {
  /** Stops re-driving and lets running workers end at their next wait; resolves when they have. */
  close(): Promise<void>;
}

class Stopped extends Error {
  override readonly name = 'Stopped';
}

/**
 * Where no stream feeds a worker (SQLite, locally): runs the completion worker in this process as
 * soon as an upload enters `completing`, and again after a run hands back (the merge still going),
 * as the DynamoDB Stream would on the lease's release. A crash of this process is what the sweep's
 * re-drive and the next complete recover from, exactly as for a dead Lambda.
 */
export function inProcessCompletions(deps: () => CoreDeps, opts: { retryMs?: number } = {}): InProcessCompletions {
  const retryMs = opts.retryMs ?? 1_000;
  const running = new Set<Promise<void>>();
  const timers = new Set<ReturnType<typeof setTimeout>>();
  let closed = false;

  const sleep = (ms: number) =>
    new Promise<void>((resolve, reject) => {
      if (closed) return reject(new Stopped('stopped'));
      const t = setTimeout(() => {
        timers.delete(t);
        if (closed) reject(new Stopped('stopped'));
        else resolve();
      }, ms);
      timers.add(t);
    });

  const runOnce = async (id: string): Promise<void> => {
    const base = deps();
    // The worker's waits end when this runner closes, so a stopping process never hangs on a merge.
    const workerDeps: CoreDeps = { ...base, clock: { now: () => base.clock.now(), sleep } };
    let outcome: CompletionOutcome;
    try {
      outcome = await runCompletion(workerDeps, id);
    } catch (e) {
      if (!(e instanceof Stopped)) base.log.error('completion worker crashed', { uploadId: id, error: String(e) });
      return;
    }
    if (outcome === 'pending' && !closed) {
      await sleep(retryMs).then(
        () => start(id),
        () => undefined,
      );
    }
  };

  const start = (id: string): void => {
    if (closed) return;
    const p = runOnce(id).finally(() => running.delete(p));
    running.add(p);
  };

  return {
    started: start,
    async close() {
      closed = true;
      for (const t of timers) clearTimeout(t);
      timers.clear();
      await Promise.allSettled([...running]);
    },
  };
}

/** Where a durable trigger (the table's DynamoDB Stream) starts workers, the API does nothing itself. */
export const streamTriggered: CompletionTrigger = { started: () => undefined };
