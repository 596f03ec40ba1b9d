/**
 * Issue 9.5 — cold start per function: the zipped artifact build/bundle.ts makes, and the time
 * to import the bundle in a fresh Node 24 process, next to yardsticks bundled the same way
 * (the bare middy + zod + fast-xml-parser + jose set, the Tencent STS client alone, ...).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleAll } from '../build/bundle.ts';
import { zip } from '../build/zip.ts';
import { analyseFunction, bytesByPackage } from './lib/bundle-analysis.ts';
import { type ImportTiming, importTiming } from './lib/import-time.ts';
import type { Bench, BenchContext, BenchResult } from './lib/result.ts';
import { judged } from './lib/result.ts';
import { fmt, median } from './lib/stats.ts';
import { bundleYardstick } from './lib/yardstick-bundle.ts';

const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));
const KB = 1000;
const ZIP_TARGET = 300 * KB;
const ROUTE_MS = 30;
const CREDENTIALS_MS = 80;
/** Not behind an HTTP route (the sweep's schedule, the stream-fed worker): reported, held to no import target. */
const NOT_ROUTES = new Set(['sweep-schedule', 'complete-worker']);

/** What a deployed function's environment looks like at import (values are never used). */
const ENV = {
  UPLOADS_STORE: 'dynamodb',
  UPLOADS_TABLE: 'uploads',
  AUTH_JWT_SECRET: 'bench-secret-0123456789abcdef',
  COS_SECRET_ID: 'AKIDBENCH',
  COS_SECRET_KEY: 'bench',
  AWS_REGION: 'us-east-1',
};

const YARDSTICKS = [
  {
    name: 'yardstick-bare-set',
    label: 'yardstick: middy + zod + fast-xml-parser + jose',
    source:
      "export { default as middy } from '@middy/core';\nexport * as z from 'zod';\nexport { XMLBuilder, XMLParser } from 'fast-xml-parser';\nexport * as jose from 'jose';\n",
  },
  {
    name: 'yardstick-sts',
    label: 'yardstick: tencentcloud-sdk-nodejs-sts client alone',
    source: "export { sts } from 'tencentcloud-sdk-nodejs-sts';\n",
  },
  // Not asked for by the issue: they split the functions' import time between their parts. The
  // same small schema in zod's classic API (`z` is a namespace: nothing tree-shakes) and in
  // zod/mini with named imports (tree-shakes to what is used).
  {
    name: 'yardstick-zod',
    label: "yardstick: one small schema, zod classic (import { z } from 'zod')",
    source:
      "import { z } from 'zod';\nexport const s = z.object({ a: z.string().min(1), b: z.number().int().optional(), c: z.array(z.enum(['x', 'y'])) });\n",
  },
  {
    name: 'yardstick-zod-mini',
    label: 'yardstick: the same schema, zod/mini named imports',
    source:
      "import { array, enum as zenum, int, minLength, number, object, optional, string } from 'zod/mini';\nexport const s = object({ a: string().check(minLength(1)), b: optional(number().check(int())), c: array(zenum(['x', 'y'])) });\n",
  },
  {
    name: 'yardstick-dynamodb',
    label: 'yardstick: @aws-sdk/client-dynamodb + lib-dynamodb alone',
    source:
      "export { DynamoDBClient } from '@aws-sdk/client-dynamodb';\nexport { BatchGetCommand, DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';\n",
  },
] as const;

const STATIC_IMPORT = /(?:\bfrom|\bimport)\s*"(\.{1,2}\/[^"]+\.mjs)"/g;
const DYNAMIC_IMPORT = /\bimport\(\s*"(\.{1,2}\/[^"]+\.mjs)"\s*\)/g;

/**
 * The chunks the project's own lazy `import()`s load on first use: dynamic imports found in the
 * entry's static closure. The SQLite adapter and the completion worker that runs in-process next to
 * it are left out (deployed functions use DynamoDB, whose stream runs the worker in its own
 * function), and so are the AWS SDK's own lazy chunks one level further (credential providers
 * Lambda never needs).
 */
function firstUseChunks(entry: string): string[] {
  const seen = new Set<string>([entry]);
  const queue = [entry];
  const lazy = new Set<string>();
  for (let file = queue.pop(); file !== undefined; file = queue.pop()) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(STATIC_IMPORT)) {
      const dep = resolve(dirname(file), m[1]!);
      if (!seen.has(dep)) {
        seen.add(dep);
        queue.push(dep);
      }
    }
    for (const m of text.matchAll(DYNAMIC_IMPORT)) lazy.add(resolve(dirname(file), m[1]!));
  }
  return [...lazy].filter((f) => !/(sqlite-store|completion-worker)-/.test(f) && !seen.has(f)).sort();
}

interface Row {
  name: string;
  label: string;
  zipBytes: number;
  codeZipBytes: number;
  entry: string;
  lazy: string[];
  top: [string, number][];
  timings: ImportTiming[];
}

async function timeAll(rows: Row[], runs: number, ctx: BenchContext): Promise<void> {
  // Round-robin over bundles, so load from elsewhere spreads over all of them.
  for (let r = 0; r < runs; r++) {
    ctx.log(`import round ${r + 1}/${runs}`);
    for (const row of rows) row.timings.push(await importTiming(row.entry, row.lazy, ENV));
  }
}

const kb = (n: number) => fmt(n / KB, 1);
const topList = (top: [string, number][]) => top.map(([p, b]) => `${p} ${kb(b)}`).join(', ');

async function run(ctx: BenchContext): Promise<BenchResult> {
  const runs = ctx.runs ?? (ctx.quick ? 1 : 7);
  const out = mkdtempSync(join(tmpdir(), 'bench-cold-start-'));
  try {
    ctx.log('bundling every function with build/bundle.ts');
    // Quick runs keep every code path but measure three functions: the lightest, a typical
    // route and the credentials one.
    const only = ctx.quick ? ['healthz', 'create-upload', 'credentials'] : undefined;
    const fns = await bundleAll({ root: ROOT, outDir: join(out, 'lambda'), only }).catch((e: unknown) => {
      // Over bundle.ts's own 1 MB budget: still measure what was built, the table will show it.
      if (e instanceof Error && /budget/.test(e.message)) return null;
      throw e;
    });
    if (!fns) throw new Error('build/bundle.ts refused the bundles (over its budget); fix that first');
    const rows: Row[] = [];
    for (const f of fns) {
      const code = f.files.filter((n) => n.endsWith('.mjs'));
      const entry = join(f.dir, `${f.fn}.mjs`);
      rows.push({
        name: f.fn,
        label: f.fn,
        zipBytes: f.zipBytes,
        codeZipBytes: zip(code.map((n) => ({ name: n, data: readFileSync(join(f.dir, n)) }))).length,
        entry,
        lazy: firstUseChunks(entry),
        top: bytesByPackage(await analyseFunction(ROOT, f.fn)).slice(0, 3),
        timings: [],
      });
    }
    for (const y of YARDSTICKS) {
      const b = await bundleYardstick(ROOT, join(out, 'yardsticks'), y.name, y.source);
      rows.push({
        name: y.name,
        label: y.label,
        zipBytes: b.zipBytes,
        codeZipBytes: b.codeZipBytes,
        entry: b.entry,
        lazy: [],
        top: bytesByPackage(b.metafile).slice(0, 3),
        timings: [],
      });
    }
    await timeAll(rows, runs, ctx);

    const entryMs = (r: Row) => median(r.timings.map((t) => t.entryMs));
    const entryCpuMs = (r: Row) => median(r.timings.map((t) => t.entryCpuMs));
    const firstMs = (r: Row) => median(r.timings.map((t) => t.firstUseMs));
    const firstCpuMs = (r: Row) => median(r.timings.map((t) => t.firstUseCpuMs));
    const functions = rows.filter((r) => !r.name.startsWith('yardstick-'));
    const routes = functions.filter((r) => r.name !== 'credentials' && !NOT_ROUTES.has(r.name));
    const credentials = functions.find((r) => r.name === 'credentials');
    // Judged on the main thread's CPU time, like signing and CRC64: importing is synchronous work
    // on that thread, and on a shared machine the wall clock also counts waiting for a core.
    const slowImports = routes.filter((r) => entryCpuMs(r) > ROUTE_MS);
    const slowRoutes = routes.filter((r) => firstCpuMs(r) > ROUTE_MS);
    const bigZips = functions.filter((r) => r.zipBytes > ZIP_TARGET);
    const worst = (ms: (r: Row) => number) => routes.reduce((a, b) => (ms(b) > ms(a) ? b : a), routes[0]!);
    const overOrWorst = (over: Row[], ms: (r: Row) => number) => {
      if (over.length)
        return `${over.length} of ${routes.length} over: ${over.map((r) => `${r.name} ${fmt(ms(r))} ms`).join(', ')}`;
      const w = worst(ms);
      return `all ${routes.length} within; slowest ${w.name} ${fmt(ms(w), 1)} ms`;
    };

    return {
      tables: [
        {
          title: `Cold start per function (import times: median of ${runs} fresh Node ${process.version} processes)`,
          columns: [
            'bundle',
            'zip KB (artifact)',
            'zip KB (code only)',
            'entry import, wall ms',
            'entry import, CPU ms',
            '+ first-use chunks, wall ms',
            '+ first-use chunks, CPU ms',
            'largest parts, KB minified',
          ],
          rows: rows.map((r) => [
            r.label,
            kb(r.zipBytes),
            kb(r.codeZipBytes),
            fmt(entryMs(r), 1),
            fmt(entryCpuMs(r), 1),
            fmt(firstMs(r), 1),
            fmt(firstCpuMs(r), 1),
            topList(r.top),
          ]),
          notes: [
            'KB = 1,000 bytes. "artifact" is the zip build/bundle.ts makes for deployment (entry, every chunk it can reach, their source maps); "code only" leaves the source maps out.',
            '"entry" is what Lambda\'s init phase imports. "+ first-use chunks" also imports the chunks the project loads lazily on a first request (the DynamoDB store, the COS client where the route calls COS, for credentials the STS SDK) — what a cold invocation pays before its first I/O. Both are judged on CPU time: the issue\'s target on the import, and the same 30 ms, stricter, on import plus first-use chunks.',
            "Times are measured inside the fresh process (Node's own start-up excluded). CPU is the main thread's CPU time, where the import runs: on a shared machine the wall time also counts waiting for a core, so when it is well above the CPU time the process waited.",
            '"largest parts": bytes in the minified code by package (esbuild metafile of the function bundled alone), lazily loaded parts included.',
            "Yardsticks use the same esbuild settings but not build/bundle.ts's Tencent SDK shims: the STS one is that SDK as published (real node-fetch and form-data).",
          ],
        },
      ],
      targets: [
        {
          target: `every route function imports in <= ${ROUTE_MS} ms (the bundle's import: Lambda init)`,
          measured: overOrWorst(slowImports, entryCpuMs),
          met: judged(ctx, slowImports.length === 0),
        },
        {
          // Not the issue's measure but the cost a cold request sees; kept judged so it stays in view.
          target: `stricter: the same ${ROUTE_MS} ms including the chunks a first request loads`,
          measured: overOrWorst(slowRoutes, firstCpuMs),
          met: judged(ctx, slowRoutes.length === 0),
        },
        {
          target: `credentials imports in <= ${CREDENTIALS_MS} ms (with the STS SDK)`,
          measured: credentials ? `${fmt(firstCpuMs(credentials), 1)} ms` : 'no credentials function',
          met: credentials ? judged(ctx, firstCpuMs(credentials) <= CREDENTIALS_MS) : null,
        },
        {
          target: 'every zipped bundle <= 300 KB',
          measured: bigZips.length
            ? `${bigZips.length} of ${functions.length} over (artifact, largest ${kb(Math.max(...bigZips.map((r) => r.zipBytes)))} KB; code only largest ${kb(Math.max(...functions.map((r) => r.codeZipBytes)))} KB)`
            : `all within; largest ${kb(Math.max(...functions.map((r) => r.zipBytes)))} KB`,
          met: judged(ctx, bigZips.length === 0),
        },
      ],
    };
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

export const bench: Bench = { name: 'cold-start', title: 'Cold start', run };
