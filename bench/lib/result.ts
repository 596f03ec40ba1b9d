import { renderTable, type Table } from './table.ts';

/** A stated target from the issue and what this run measured against it. */
export interface Target {
  target: string;
  measured: string;
  /** null when not judged (quick mode, or the benchmark could not run that part). */
  met: boolean | null;
}

export interface BenchResult {
  tables: Table[];
  targets: Target[];
  /** Every timed run's wall ms by contender, for `--json` readers who want more than medians. */
  samples?: Record<string, number[]>;
}

export interface BenchContext {
  quick: boolean;
  /** Repetitions for medians (the runner's `--runs`, else each benchmark's default). */
  runs: number | null;
  /** Progress lines go to stderr so stdout holds only the tables. */
  log(line: string): void;
}

export interface Bench {
  name: string;
  title: string;
  run(ctx: BenchContext): Promise<BenchResult>;
}

/** The line a child prints last so the runner can collect targets without parsing tables. */
export const RESULT_MARKER = '@@bench-result ';

/** Resolves once stdout has taken everything (pipes are asynchronous on macOS: exit must wait). */
export function printResult(name: string, r: BenchResult): Promise<void> {
  for (const t of r.tables) process.stdout.write(`${renderTable(t)}\n`);
  return new Promise((resolve) =>
    process.stdout.write(`${RESULT_MARKER}${JSON.stringify({ name, ...r })}\n`, () => resolve()),
  );
}

/** `met` is only judged on full runs: quick sizes are too small for speed to mean anything. */
export const judged = (ctx: BenchContext, ok: boolean): boolean | null => (ctx.quick ? null : ok);
