/**
 * Compose of N sources — `POST /v1/uploads/compose`'s use case from the request to the completed
 * upload: every source checked in the store, the plan, Initiate, N Upload Part - Copy requests (the
 * completion worker's, four at a time), List Parts, Complete and the CRC64 check.
 *
 * Method: a handful of completed 1 MiB uploads (COS's smallest part but the last) are composed N
 * times over (a source may repeat), on SQLite with the emulator on loopback. The emulator really
 * copies each part's bytes on disk, as COS does on its side; the time is the backend's plus that
 * local copy, not real COS latency.
 */
import { composeUpload } from '../shared/core/compose-upload.ts';
import { createUpload } from '../shared/core/create-upload.ts';
import { completeUpload } from '../shared/core/complete-upload.ts';
import type { CoreDeps } from '../shared/core/deps.ts';
import type { Bench, BenchContext, BenchResult } from './lib/result.ts';
import { benchStack } from './lib/stacks.ts';
import { fmt, MiB, median, sample } from './lib/stats.ts';

const DISTINCT = 8;

async function completedSource(deps: CoreDeps, i: number): Promise<string> {
  const up = await createUpload(deps, 'bench-compose', { fileName: `src-${i}.bin`, size: MiB });
  const [url] = deps.storage.presignUploadParts(
    up.key,
    up.cosUploadId!,
    [{ partNumber: 1, contentLength: MiB }],
    new Date(),
    600,
  );
  const body = new Uint8Array(MiB).fill(i);
  const res = await fetch(url!.url, { method: 'PUT', headers: url!.headers, body });
  if (!res.ok) throw new Error(`source PUT failed: ${res.status}`);
  const done = await completeUpload(deps, up);
  if (!done.done) throw new Error('source did not complete');
  return up.id;
}

async function run(ctx: BenchContext): Promise<BenchResult> {
  const counts = ctx.quick ? [1, 10] : [1, 10, 100, 1000];
  const b = await benchStack('sqlite', { MAX_OPEN_UPLOADS_PER_OWNER: '10000' });
  try {
    // Long enough a wait that the use case returns the completed upload, not a 202.
    const deps: CoreDeps = { ...b.stack.deps, limits: { ...b.stack.deps.limits, completeWaitSeconds: 600 } };
    ctx.log(`creating ${DISTINCT} completed sources of 1 MiB`);
    const ids: string[] = [];
    for (let i = 0; i < DISTINCT; i++) ids.push(await completedSource(deps, i));
    const rows: (string | number)[][] = [];
    const medians: Record<number, number> = {};
    for (const n of counts) {
      const runs = ctx.runs ?? (n >= 1000 ? 1 : 3);
      const times: number[] = [];
      for (let r = 0; r < runs; r++) {
        const sources = Array.from({ length: n }, (_, i) => ({ uploadId: ids[i % DISTINCT]! }));
        ctx.log(`compose of ${n} sources, run ${r + 1}/${runs}`);
        const s = await sample(async () => {
          const out = await composeUpload(deps, 'bench-compose', { fileName: `c${n}.bin`, sources });
          if (!out.done || out.upload.state !== 'completed' || out.upload.crc64Verified !== true)
            throw new Error(`compose of ${n} did not complete verified`);
        });
        times.push(s.wallMs);
      }
      const m = median(times);
      medians[n] = m;
      rows.push([fmt(n), `${fmt(n)} MiB`, `${fmt(m)} ms`, `${fmt(m / n, 1)} ms`, fmt(runs)]);
    }
    return {
      tables: [
        {
          title: 'Compose of N sources of 1 MiB (request to completed, CRC64 verified), SQLite + emulator',
          columns: ['sources (N)', 'object', 'median wall', 'per source', 'runs'],
          rows,
          notes: [
            'Each source is one Upload Part - Copy, four in flight; then one List Parts (pages of 1,000) and one Complete.',
            'The emulator copies every part on the local disk (1 MiB per source); real COS copies inside its own storage, so these times are the backend plus a local copy, not COS latency.',
          ],
        },
      ],
      targets: [
        {
          target: 'compose time vs N (no numeric target: reported)',
          measured: counts.map((n) => `N=${n}: ${fmt(medians[n]!)} ms`).join(', '),
          met: null,
        },
      ],
    };
  } finally {
    await b.close();
  }
}

export const bench: Bench = { name: 'compose', title: 'Compose of N sources', run };
