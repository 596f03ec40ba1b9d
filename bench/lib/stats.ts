/** Timing and number formatting shared by the benchmarks. */

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export interface Sample {
  /** Wall-clock milliseconds. */
  wallMs: number;
  /** CPU milliseconds of this process, all threads (libuv's pool, V8's GC and compiler helpers). */
  cpuMs: number;
  /**
   * CPU milliseconds of the main thread alone: for synchronous work, the time it takes on one
   * core whatever else the machine runs, without helper threads' parallel work counted on top.
   */
  threadMs: number;
}

/** Runs `fn` once and measures it by the wall clock, the process's and the main thread's CPU time. */
export async function sample(fn: () => unknown): Promise<Sample> {
  const c0 = process.cpuUsage();
  const m0 = process.threadCpuUsage();
  const t0 = performance.now();
  await fn();
  const wallMs = performance.now() - t0;
  const m = process.threadCpuUsage(m0);
  const c = process.cpuUsage(c0);
  return { wallMs, cpuMs: (c.user + c.system) / 1000, threadMs: (m.user + m.system) / 1000 };
}

/**
 * Measures several contenders in interleaved rounds (A B C, A B C, ...) rather than all runs of
 * A then all of B, so a burst of load from elsewhere on the machine spreads over all of them.
 */
export async function interleaved<K extends string>(
  contenders: readonly { key: K; run: () => unknown; after?: () => unknown }[],
  rounds: number,
): Promise<Record<K, Sample[]>> {
  const out = {} as Record<K, Sample[]>;
  for (const c of contenders) out[c.key] = [];
  for (let r = 0; r < rounds; r++) {
    for (const c of contenders) {
      out[c.key].push(await sample(c.run));
      // Clean-up between runs (deleting what a run stored) stays outside the timing.
      await c.after?.();
    }
  }
  return out;
}

export const medianWall = (s: readonly Sample[]): number => median(s.map((x) => x.wallMs));
export const medianCpu = (s: readonly Sample[]): number => median(s.map((x) => x.cpuMs));
export const medianThread = (s: readonly Sample[]): number => median(s.map((x) => x.threadMs));

export const MiB = 1024 * 1024;
export const GiB = 1024 * MiB;

/** Fixed decimals, with thousands separators for readability of large figures. */
export const fmt = (n: number, digits = 0): string =>
  Number.isFinite(n)
    ? n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })
    : 'n/a';

export const ratio = (a: number, b: number): string => (b > 0 && Number.isFinite(a / b) ? `${fmt(a / b, 2)}x` : 'n/a');

/** MB/s (10^6 bytes per second) for `bytes` in `ms`. */
export const mbps = (bytes: number, ms: number): number => bytes / 1e6 / (ms / 1000);

/** Wall ms of every sample, per contender (BenchResult.samples). */
export const wallSamples = (by: Record<string, readonly Sample[]>, prefix = ''): Record<string, number[]> =>
  Object.fromEntries(
    Object.entries(by).map(([k, v]) => [`${prefix}${k}`, v.map((s) => Math.round(s.wallMs * 10) / 10)]),
  );
