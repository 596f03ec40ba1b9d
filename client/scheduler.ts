import { isAbortError, stoppedError } from './errors.ts';

/**
 * Links signals without `AbortSignal.any` (missing in React Native and older browsers). The
 * returned `dispose` detaches the listeners so long-lived parents do not accumulate them.
 */
export function linkSignals(...signals: (AbortSignal | undefined)[]): {
  controller: AbortController;
  dispose: () => void;
} {
  const controller = new AbortController();
  const detach: (() => void)[] = [];
  for (const s of signals) {
    if (!s) continue;
    if (s.aborted) {
      controller.abort(s.reason);
      break;
    }
    const onAbort = () => controller.abort(s.reason);
    s.addEventListener('abort', onAbort, { once: true });
    detach.push(() => s.removeEventListener('abort', onAbort));
  }
  return {
    controller,
    dispose: () => {
      for (const d of detach) d();
    },
  };
}

/**
 * Runs `worker` over `items` in order with at most `concurrency` at once. The first failure stops
 * the rest (their signal aborts) and is rethrown — but only after every running worker settled,
 * so nothing is still sending bytes when this returns (pause relies on it).
 */
export async function runPool<T>(
  items: readonly T[],
  concurrency: number,
  worker: (item: T, signal: AbortSignal) => Promise<void>,
  signal?: AbortSignal,
): Promise<void> {
  const { controller, dispose } = linkSignals(signal);
  let next = 0;
  let failure: { error: unknown } | null = null;
  const loop = async () => {
    while (!controller.signal.aborted && next < items.length) {
      const item = items[next++]!;
      try {
        await worker(item, controller.signal);
      } catch (e) {
        // Keep the first real failure; the aborts it causes in other workers are noise.
        if (!failure || (isAbortError(failure.error) && !isAbortError(e))) failure = { error: e };
        controller.abort(e);
      }
    }
  };
  try {
    const n = Math.max(1, Math.min(concurrency, items.length));
    await Promise.all(Array.from({ length: n }, loop));
  } finally {
    dispose();
  }
  if (signal?.aborted) throw stoppedError(signal.reason);
  if (failure) throw (failure as { error: unknown }).error;
}
