/**
 * Issue 9.2 — CRC64-ECMA (CRC-64/XZ) throughput on one core: shared/core/crc64.ts against the
 * crc64-ecma182.js package, the previous implementation, and native hashes as yardsticks.
 */
import { createHash, randomFillSync } from 'node:crypto';
import { createRequire } from 'node:module';
import { crc32 } from 'node:zlib';
import { combineParts, crc64 } from '../shared/core/crc64.ts';
import { crc64Bytewise } from './baselines/crc64-bytewise.ts';
import { combinePartsBigInt } from './baselines/crc64-combine-bigint.ts';
import type { Bench, BenchContext, BenchResult } from './lib/result.ts';
import { judged } from './lib/result.ts';
import { fmt, GiB, interleaved, MiB, mbps, medianThread, medianWall, ratio, wallSamples } from './lib/stats.ts';
import type { Table } from './lib/table.ts';

const require = createRequire(import.meta.url);
const pkg = require('crc64-ecma182.js') as { crc64(buf: Buffer, prev?: string): string };
/** The package's emscripten heap is 16 MiB and cannot grow, so it must be fed in chunks. */
const PKG_CHUNK = 4 * MiB;
const PART = 8 * MiB;

function packageCrc(buf: Buffer): string {
  let prev = '0';
  for (let o = 0; o < buf.length; o += PKG_CHUNK) prev = pkg.crc64(buf.subarray(o, o + PKG_CHUNK), prev);
  return prev;
}

/** What the client does: one CRC per part while reading it, then the parts combined. */
function perPartCombined(buf: Buffer): string {
  const parts: { crc64: string; size: number }[] = [];
  for (let o = 0; o < buf.length; o += PART) {
    const part = buf.subarray(o, o + PART);
    parts.push({ crc64: crc64(part).toString(), size: part.length });
  }
  return combineParts(parts);
}

/** Complete combines every recorded part CRC into the object's: 10,000 of them at most. */
async function combineTable(ctx: BenchContext, rounds: number): Promise<Table> {
  const n = ctx.quick ? 500 : 10_000;
  const parts = Array.from({ length: n }, (_, i) => ({
    crc64: crc64(Buffer.from(`part ${i}`)).toString(),
    size: i === n - 1 ? 12_345 : PART,
  }));
  if (combineParts(parts) !== combinePartsBigInt(parts))
    throw new Error('combineParts differs from the BigInt baseline');
  const contenders = [
    {
      key: 'project',
      label: 'project combineParts (uint32 halves, one operator per size)',
      run: () => combineParts(parts),
    },
    {
      key: 'bigint',
      label: 'previous project version (BigInt, bench/baselines)',
      run: () => combinePartsBigInt(parts),
    },
  ] as const;
  for (const c of contenders) c.run();
  const samples = await interleaved(contenders, rounds);
  return {
    title: `Combining ${fmt(n)} part CRCs into the object's (median of ${rounds})`,
    columns: ['implementation', 'wall ms', 'CPU ms', 'speed vs previous (CPU)'],
    rows: contenders.map((c) => [
      c.label,
      fmt(medianWall(samples[c.key]), 1),
      fmt(medianThread(samples[c.key]), 1),
      ratio(medianThread(samples.bigint), medianThread(samples[c.key])),
    ]),
    notes: [
      'What verifyParts does at complete when the client recorded part CRCs (it does by default): 8 MiB parts, a shorter last one.',
    ],
  };
}

async function run(ctx: BenchContext): Promise<BenchResult> {
  const size = ctx.quick ? 8 * MiB : 256 * MiB;
  const rounds = ctx.runs ?? (ctx.quick ? 2 : 7);
  // One spare byte in front so a view starting at offset 1 has the same length.
  const backing = Buffer.allocUnsafeSlow(size + 1);
  randomFillSync(backing);
  const aligned = backing.subarray(0, size);
  const unaligned = backing.subarray(1, size + 1);

  const expected = crc64(aligned).toString();
  const checks: [string, string][] = [
    ['bytewise', crc64Bytewise(aligned).toString()],
    ['package', packageCrc(aligned)],
    ['per part', perPartCombined(aligned)],
    ['unaligned', crc64(unaligned).toString() === crc64Bytewise(unaligned).toString() ? expected : 'mismatch'],
  ];
  for (const [name, got] of checks)
    if (got !== expected) throw new Error(`CRC64 ${name} gives ${got}, expected ${expected}`);

  const contenders = [
    { key: 'project', label: 'project crc64() (shared/core/crc64.ts)', run: () => crc64(aligned) },
    { key: 'unaligned', label: 'project crc64(), view at byte offset 1', run: () => crc64(unaligned) },
    {
      key: 'parts',
      label: 'project, 8 MiB parts + combineParts (the client pattern)',
      run: () => perPartCombined(aligned),
    },
    {
      key: 'bytewise',
      label: 'previous project version (byte loads, bench/baselines)',
      run: () => crc64Bytewise(aligned),
    },
    { key: 'package', label: 'crc64-ecma182.js (4 MiB chunks)', run: () => packageCrc(aligned) },
    { key: 'md5', label: 'yardstick: node:crypto MD5 (native)', run: () => createHash('md5').update(aligned).digest() },
    { key: 'crc32', label: 'yardstick: node:zlib crc32 (native, CRC-32)', run: () => crc32(aligned) },
  ] as const;
  ctx.log(`${size / MiB} MiB buffer, warming up, then ${rounds} interleaved rounds`);
  for (const c of contenders) c.run();
  const samples = await interleaved(contenders, rounds);

  // Throughput by CPU time ("on one core"): each contender runs on this thread only.
  const cpuMbps = (k: keyof typeof samples) => mbps(size, medianThread(samples[k]));
  const rows = contenders.map((c) => [
    c.label,
    fmt(mbps(size, medianWall(samples[c.key]))),
    fmt(cpuMbps(c.key)),
    fmt((cpuMbps(c.key) * 1e6) / GiB, 2),
    ratio(cpuMbps(c.key), cpuMbps('package')),
    ratio(cpuMbps(c.key), cpuMbps('md5')),
  ]);
  const combine = await combineTable(ctx, rounds);
  const project = cpuMbps('project');
  const gibps = (project * 1e6) / GiB;
  return {
    tables: [
      {
        title: `CRC64-ECMA of a ${fmt(size / MiB)} MiB random buffer (median of ${rounds})`,
        columns: ['implementation', 'MB/s (wall)', 'MB/s (CPU)', 'GiB/s (CPU)', 'vs package', 'vs MD5'],
        rows,
        notes: [
          'MB = 10^6 bytes. "CPU" divides by the main thread\'s CPU time — throughput on one core, which the targets use; "wall" also counts waiting for a core on a shared machine.',
          'All implementations give the same CRC (checked before timing, including the unaligned view).',
          'crc64-ecma182.js is described as pure JavaScript, but its dist/crc.js is emscripten output that instantiates a WebAssembly module (compiled C). Its fixed 16 MiB heap aborts on larger buffers, so it is fed 4 MiB at a time with its `prev` argument.',
          'MD5 and zlib crc32 are native C; they bound what a byte-at-a-time hash costs here, not what CRC64 must cost.',
        ],
      },
      combine,
    ],
    samples: wallSamples(samples),
    targets: [
      {
        target: 'CRC64 >= 1 GiB/s on one core',
        measured: `${fmt(gibps, 2)} GiB/s (${fmt(project)} MB/s, CPU)`,
        met: judged(ctx, gibps >= 1),
      },
      {
        target: 'CRC64 >= 5x crc64-ecma182.js',
        measured: ratio(project, cpuMbps('package')),
        met: judged(ctx, project >= 5 * cpuMbps('package')),
      },
    ],
  };
}

export const bench: Bench = { name: 'crc64', title: 'CRC64', run };
