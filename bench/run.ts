/**
 * `npm run bench` — every benchmark, each in a fresh Node process, tables on stdout, a summary of
 * the targets at the end. `npm run bench -- --quick` runs small sizes (CI keeps it
 * working; speed is not judged). `npm run bench -- crc64 signing` runs a subset; `--runs N`
 * overrides the repetitions; `--json FILE` also writes every table and target as JSON.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { machineTable } from './lib/machine.ts';
import { type BenchResult, RESULT_MARKER, type Target } from './lib/result.ts';
import { renderTable } from './lib/table.ts';

/** In the order they run: the cheap, dependency-free ones first. */
export const BENCHMARKS = [
  'signing',
  'crc64',
  'complete',
  'compose',
  'cold-start',
  'e2e-upload',
  'api-economy',
  'small-files',
] as const;

interface Args {
  quick: boolean;
  runs: number | null;
  json: string | null;
  names: string[];
}

export function parseArgs(argv: readonly string[]): Args {
  const args: Args = { quick: false, runs: null, json: null, names: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--quick') args.quick = true;
    else if (a === '--runs' || a === '--json') {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      if (a === '--json') args.json = v;
      else {
        const n = Number(v);
        if (!Number.isInteger(n) || n < 1 || n > 100) throw new Error('--runs must be an integer 1..100');
        args.runs = n;
      }
    } else if (a.startsWith('-')) throw new Error(`unknown option ${a}`);
    else if ((BENCHMARKS as readonly string[]).includes(a)) args.names.push(a);
    else throw new Error(`unknown benchmark "${a}"; known: ${BENCHMARKS.join(', ')}`);
  }
  return args;
}

interface Outcome {
  name: string;
  result: (BenchResult & { name: string }) | null;
  error: string | null;
  seconds: number;
}

function runChild(name: string, args: Args): Promise<Outcome> {
  const child = fileURLToPath(new URL('./lib/child.ts', import.meta.url));
  const flags = [...(args.quick ? ['--quick'] : []), ...(args.runs ? ['--runs', String(args.runs)] : [])];
  const started = performance.now();
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [child, name, ...flags], { stdio: ['ignore', 'pipe', 'inherit'] });
    let result: Outcome['result'] = null;
    let pending = '';
    p.stdout.setEncoding('utf8');
    p.stdout.on('data', (chunk: string) => {
      pending += chunk;
      let nl = pending.indexOf('\n');
      while (nl >= 0) {
        const line = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        if (line.startsWith(RESULT_MARKER)) result = JSON.parse(line.slice(RESULT_MARKER.length)) as Outcome['result'];
        else process.stdout.write(`${line}\n`);
        nl = pending.indexOf('\n');
      }
    });
    p.on('close', (code, signal) => {
      if (pending) process.stdout.write(pending);
      const seconds = (performance.now() - started) / 1000;
      const error = code === 0 && result ? null : `exited with ${signal ?? code}${result ? '' : ', no result'}`;
      resolve({ name, result, error, seconds });
    });
  });
}

const verdict = (t: Target) => (t.met === null ? 'not judged' : t.met ? 'met' : 'MISSED');

async function main(): Promise<void> {
  let args: Args;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (e) {
    console.error((e as Error).message);
    process.exit(2);
  }
  const names = args.names.length ? BENCHMARKS.filter((b) => args.names.includes(b)) : [...BENCHMARKS];
  const machine = machineTable();
  process.stdout.write(
    `# Benchmarks${args.quick ? ' (quick: small sizes, speed not judged)' : ''}\n\n${renderTable(machine)}\n`,
  );

  const outcomes: Outcome[] = [];
  for (const name of names) {
    process.stdout.write(`## ${name}\n\n`);
    const o = await runChild(name, args);
    outcomes.push(o);
    process.stdout.write(o.error ? `**${name} failed: ${o.error}**\n\n` : `(${name}: ${o.seconds.toFixed(1)} s)\n\n`);
  }

  const rows = outcomes.flatMap((o) =>
    o.result
      ? o.result.targets.map((t) => [o.name, t.target, t.measured, verdict(t)])
      : [[o.name, '(did not finish)', o.error ?? '', 'MISSED']],
  );
  process.stdout.write(
    renderTable({ title: 'Targets', columns: ['benchmark', 'target', 'measured', 'verdict'], rows }),
  );
  if (args.json) writeFileSync(args.json, `${JSON.stringify({ machine, outcomes }, null, 2)}\n`);
  // Missed speed targets are reported, not failed: only a benchmark that breaks fails the run.
  process.exit(outcomes.some((o) => o.error) ? 1 : 0);
}

if (import.meta.main) await main();
