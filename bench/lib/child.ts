/**
 * Runs one benchmark in this (fresh) process: `node bench/lib/child.ts <name> [--quick] [--runs N]`.
 * The runner starts one child per benchmark so JIT state, heap and the process-wide settings the
 * local stack installs (environment, core deps) never leak from one benchmark into the next.
 */
import type { Bench, BenchContext } from './result.ts';
import { printResult } from './result.ts';

const [name, ...rest] = process.argv.slice(2);
if (!name || !/^[a-z0-9-]+$/.test(name)) {
  console.error('usage: child.ts <benchmark> [--quick] [--runs N]');
  process.exit(2);
}
const runsAt = rest.indexOf('--runs');
const ctx: BenchContext = {
  quick: rest.includes('--quick'),
  runs: runsAt >= 0 ? Number(rest[runsAt + 1]) : null,
  log: (line) => process.stderr.write(`  [${name}] ${line}\n`),
};
const mod = (await import(`../${name}.ts`)) as { bench: Bench };
const result = await mod.bench.run(ctx);
await printResult(name, result);
// Servers or SDK timers a benchmark forgot must not keep the run hanging.
process.exit(0);
