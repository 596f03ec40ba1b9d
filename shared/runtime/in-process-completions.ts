import type { CompletionOutcome } from '../core/completion-worker.ts';
import type { CoreDeps } from '../core/deps.ts';
import type { CompletionTrigger } from '../ports.ts';

export interface InProcessCompletions extends CompletionTrigger {
  /** Stops re-driving and lets running workers end at their next wait; resolves when they have. */
  close(): Promise<void>;
}

/** How long close() lets running workers finish their current step. */
const CLOSE_WAIT_MS = 2_000;

/**
 * The worker is imported at its first run, not with this module: every entry's runtime imports
 * this one, and only a SQLite process ever runs it, so a Lambda (DynamoDB: the stream starts the
 * complete-worker function) would otherwise parse and run the whole worker at every init.
 */
const loadWorker = () => import('../core/completion-worker.ts');

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
  /** Pending sleeps: close() ends each at once (a cleared timer alone would leave its promise hanging). */
  const sleeps = new Set<() => void>();
  let closed = false;

  const sleep = (ms: number) =>
    new Promise<void>((resolve, reject) => {
      if (closed) return reject(new Stopped('stopped'));
      const stop = () => {
        clearTimeout(t);
        sleeps.delete(stop);
        reject(new Stopped('stopped'));
      };
      const t = setTimeout(() => {
        sleeps.delete(stop);
        resolve();
      }, ms);
      sleeps.add(stop);
    });

  const runOnce = async (id: string): Promise<void> => {
    const base = deps();
    // The worker's waits end when this runner closes, so a stopping process never hangs on a merge.
    const workerDeps: CoreDeps = { ...base, clock: { now: () => base.clock.now(), sleep } };
    let outcome: CompletionOutcome;
    try {
      const { runCompletion } = await loadWorker();
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
      for (const stop of [...sleeps]) stop();
      // A worker inside a COS call (a minute-long merge) is not waited for: like a killed process,
      // it leaves its lease for the next start's re-drive.
      let timer: ReturnType<typeof setTimeout> | undefined;
      const bounded = new Promise<void>((resolve) => (timer = setTimeout(resolve, CLOSE_WAIT_MS)));
      await Promise.race([Promise.allSettled([...running]), bounded]);
      clearTimeout(timer);
    },
  };
}

/** Where a durable trigger (the table's DynamoDB Stream) starts workers, the API does nothing itself. */
export const streamTriggered: CompletionTrigger = { started: () => undefined };
