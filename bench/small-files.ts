/**
 * Issue 17 — many small files over a mobile-like link: 1,000 files of 64 KiB through a 50 ms
 * round trip (a latency proxy in front of both the API and the local COS, 25 ms each way).
 *
 * Contenders, all at the same concurrency (8 PUTs in flight) through the same proxies:
 * - raw parallel PUTs: the files' part URLs presigned beforehand (untimed), then only the PUTs —
 *   the ceiling any client could reach on this link;
 * - `uploadMany` with its defaults (batch creates with part 1 presigned, batch completes, as many
 *   sessions open as the server's quota allows, read from GET /v1/limits);
 * - `uploadMany` against a second stack at the server's default quota (100 open per owner);
 * - one by one: `upload()` per file, 8 files at a time.
 * API calls are counted by route. The first stack runs with MAX_OPEN_UPLOADS_PER_OWNER=5000 so the
 * raw baseline can hold every URL at once; each contender uses its own owner. Each stack is its own
 * process (bench/lib/stack-server.ts), as a server is: the API's batch work and the emulator's PUTs
 * share that process's event loop, not the uploader's.
 */
import { randomBytes } from 'node:crypto';
import { createApiClient, type PartUrl, upload, uploadMany } from '../client/upload.ts';
import { startLatencyProxy } from './lib/latency-proxy.ts';
import { mapBounded } from '../shared/core/bounded.ts';
import { type ProxiedFetch, proxiedFetch } from './lib/proxied-fetch.ts';
import type { Bench, BenchContext, BenchResult } from './lib/result.ts';
import { judged } from './lib/result.ts';
import { type StackInfo, stackProcess } from './lib/stack-process.ts';
import { fmt, MiB } from './lib/stats.ts';

const SIZE = 64 * 1024;
const CONCURRENCY = 8;
const ONE_WAY_MS = 25;
const CALL_TARGET = 30;
const RATIO_TARGET = 0.7;

interface Measured {
  name: string;
  seconds: number;
  apiCalls: number;
  puts: number;
  routes: string;
}

async function timed(name: string, pf: ProxiedFetch, fn: () => Promise<void>): Promise<Measured> {
  pf.reset();
  const t0 = performance.now();
  await fn();
  const seconds = (performance.now() - t0) / 1000;
  const routes = [...pf.api]
    .sort((a, b) => a[0].localeCompare(b[0]))
    .map(([r, n]) => `${r.replace('/v1/uploads', '')} ${n}`)
    .join(', ');
  return { name, seconds, apiCalls: pf.apiTotal(), puts: pf.cos(), routes };
}

/** A stack process behind two latency proxies (API and COS), and a fetch that goes through them. */
async function linkedStack(env: Record<string, string>, owners: string[]) {
  const stack = await stackProcess(env, owners);
  const apiPort = Number(new URL(stack.apiUrl).port);
  const cosPort = Number(new URL(stack.cosUrl).port);
  const apiProxy = await startLatencyProxy(apiPort, ONE_WAY_MS);
  const cosProxy = await startLatencyProxy(cosPort, ONE_WAY_MS);
  const pf = proxiedFetch(
    stack.apiUrl,
    new Map([
      [apiPort, apiProxy.port],
      [cosPort, cosProxy.port],
    ]),
  );
  const close = async () => {
    await pf.close();
    await apiProxy.close();
    await cosProxy.close();
    await stack.stop();
  };
  return { stack, pf, close };
}

const OWNERS = ['raw', 'many', 'one-by-one', 'single'];

async function run(ctx: BenchContext): Promise<BenchResult> {
  const count = ctx.quick ? 60 : 1000;
  const wide = await linkedStack({ MAX_OPEN_UPLOADS_PER_OWNER: '5000' }, OWNERS);
  const narrow = await linkedStack({}, ['many']);
  try {
    const files = Array.from({ length: count }, () => new Uint8Array(randomBytes(SIZE)));
    const base = (s: StackInfo, pf: ProxiedFetch, owner: string) => ({
      baseUrl: s.apiUrl,
      token: s.tokens[owner]!,
      fetch: pf.fetch,
    });
    const { stack, pf } = wide;
    const results: Measured[] = [];

    // Raw: URLs presigned beforehand, directly (no proxy, untimed).
    ctx.log(`raw parallel PUTs of ${count} × 64 KiB`);
    const direct = createApiClient({ baseUrl: stack.apiUrl, token: stack.tokens.raw! });
    const urls: PartUrl[] = [];
    for (let i = 0; i < count; i += 100) {
      const bodies = files.slice(i, i + 100).map((_, k) => ({ fileName: `raw-${i + k}.bin`, size: SIZE, presign: 1 }));
      for (const r of await direct.createBatch(bodies)) {
        if (!('upload' in r) || !r.urls?.[0]) throw new Error('raw: batch create failed');
        urls.push(r.urls[0]);
      }
    }
    results.push(
      await timed('raw parallel PUTs (URLs presigned beforehand)', pf, async () => {
        await mapBounded(urls, CONCURRENCY, async (u, i) => {
          const res = await pf.fetch(u.url, { method: 'PUT', headers: u.headers, body: files[i]! });
          const text = await res.text();
          if (!res.ok) throw new Error(`raw PUT ${res.status}: ${text.slice(0, 300)}`);
        });
      }),
    );

    for (const [label, on] of [
      ['uploadMany (defaults; server quota 5,000 open)', wide],
      ['uploadMany (defaults; server at its default quota, 100 open)', narrow],
    ] as const) {
      ctx.log(label);
      const opts = base(on.stack, on.pf, 'many');
      results.push(
        await timed(label, on.pf, async () => {
          const out = await uploadMany(
            files.map((f, i) => ({ source: f, fileName: `many-${i}.bin` })),
            { ...opts, concurrency: CONCURRENCY },
          );
          const bad = out.find((r) => r.state !== 'completed');
          if (bad) throw new Error(`uploadMany: ${JSON.stringify(bad)}`);
        }),
      );
    }

    ctx.log('one by one: upload() per file, 8 files at a time');
    const one = base(stack, pf, 'one-by-one');
    results.push(
      await timed(`upload() per file, ${CONCURRENCY} files at a time`, pf, async () => {
        await mapBounded(files, CONCURRENCY, (f, i) => upload(f, { ...one, fileName: `one-${i}.bin`, concurrency: 1 }));
      }),
    );

    const single = base(stack, pf, 'single');
    const oneFile = await timed('uploadMany of one small file', pf, async () => {
      const [r] = await uploadMany([{ source: files[0]!, fileName: 'single.bin' }], single);
      if (r?.state !== 'completed') throw new Error('single file failed');
    });
    const oneUpload = await timed('upload() of one small file', pf, async () => {
      await upload(files[0]!, { ...single, fileName: 'single-upload.bin' });
    });

    const raw = results[0]!;
    const many = results[1]!;
    const mib = (count * SIZE) / MiB;
    const ratio = raw.seconds / many.seconds;
    return {
      tables: [
        {
          title: `${fmt(count)} files of 64 KiB over a 50 ms round trip, ${CONCURRENCY} PUTs in flight`,
          columns: ['contender', 'seconds', 'files/s', 'MiB/s', 'vs raw', 'API calls', 'PUTs', 'API calls by route'],
          rows: [...results, oneFile, oneUpload].map((m) => [
            m.name,
            fmt(m.seconds, 2),
            results.includes(m) ? fmt(count / m.seconds, 0) : '-',
            results.includes(m) ? fmt(mib / m.seconds, 2) : '-',
            results.includes(m) ? `${fmt(raw.seconds / m.seconds, 2)}x` : '-',
            fmt(m.apiCalls),
            fmt(m.puts),
            m.routes || '-',
          ]),
          notes: [
            'Latency: bench/lib/latency-proxy.ts, a TCP proxy delaying every chunk 25 ms each way in front of the API and of the local COS; only data is delayed, not connection set-up (keep-alive connections are reused by every contender alike). The API talks to COS directly, as it would in-region.',
            'Raw: the URLs come from batch creates made beforehand without the proxy and outside the timing; the timed part is the PUTs alone. "vs raw" is raw seconds / contender seconds.',
            'The first stack allows 5,000 open uploads per owner so the raw contender can hold 1,000 URLs at once; uploadMany reads that quota from GET /v1/limits and batches by 100. The second stack runs at the server default, 100 open per owner: uploadMany then batches by 50 (half its budget), so the PUTs keep going while a batch completes and the next is created.',
            'Each stack is a process of its own (bench/lib/stack-server.ts) with the API, the COS emulator and SQLite, as `npm start` runs them; the uploader is this process.',
          ],
        },
      ],
      targets: [
        {
          target: `uploadMany: ≤ ${CALL_TARGET} API calls for ${fmt(count)} small files`,
          measured: fmt(many.apiCalls),
          met: judged(ctx, many.apiCalls <= CALL_TARGET),
        },
        {
          target: `uploadMany: ≥ ${RATIO_TARGET}x the throughput of raw parallel PUTs`,
          measured: `${fmt(ratio, 2)}x`,
          met: judged(ctx, ratio >= RATIO_TARGET),
        },
        ...[oneFile, oneUpload].map((m) => ({
          target: `one small file, ${m.name.replace(/ of one small file$/, '')}: 2 API calls + 1 PUT`,
          measured: `${m.apiCalls} API calls + ${m.puts} PUT`,
          met: m.apiCalls === 2 && m.puts === 1,
        })),
      ],
    };
  } finally {
    await wide.close();
    await narrow.close();
  }
}

export const bench: Bench = { name: 'small-files', title: 'Many small files over a slow link', run };
