/**
 * Memoized until it fails: a failed build (e.g. table not reachable) is retried by the next
 * request instead of poisoning the process.
 */
export function memoUntilFailure<T>(build: () => Promise<T>): () => Promise<T> {
  let current: Promise<T> | undefined;
  return () => {
    if (current) return current;
    const p = build();
    current = p;
    p.catch(() => {
      if (current === p) current = undefined;
    });
    return p;
  };
}
