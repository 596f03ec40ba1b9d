import { expect, it } from 'vitest';
import type { PartRecord, UploadStore } from '../../shared/ports.ts';
import { anUpload, at, etagOf } from './fixtures.ts';

const CLIENTS = 50;
const PARTS = 2_000;

/** Deterministic shuffle (a fixed LCG), so a failure replays identically. */
function shuffled<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  let s = seed;
  for (let i = out.length - 1; i > 0; i--) {
    s = (Math.imul(s, 1_103_515_245) + 12_345) >>> 0;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/**
 * What client `c` sends, in order. Parts come in blocks of 10 consecutive numbers and client c
 * owns blocks c, c+50, c+100, c+150 — so the last write of every part is well defined (its
 * owner's last) however the clients interleave, while every 100-part chunk of a ledger is
 * written by 10 clients at once. Round 1 sends each owned block shuffled as one batch (`r1`);
 * round 2 sends all owned parts shuffled in batches of 13 (`r2`), each batch starting with a
 * stale duplicate of one of its parts (`dup`), so the in-call "later entry wins" is covered too.
 */
function batchesOf(c: number): PartRecord[][] {
  const blocks = [0, 1, 2, 3].map((k) => Array.from({ length: 10 }, (_, i) => (c + k * CLIENTS) * 10 + i + 1));
  const rec = (n: number, tag: string): PartRecord => ({
    partNumber: n,
    etag: etagOf(`${tag}-${n}`),
    size: n,
    crc64: null,
  });
  const batches = shuffled(blocks, c + 1).map((block, k) => shuffled(block, c * 7 + k).map((n) => rec(n, 'r1')));
  const round2 = shuffled(blocks.flat(), c + 101).map((n) => rec(n, 'r2'));
  for (let i = 0; i < round2.length; i += 13) {
    const batch = round2.slice(i, i + 13);
    batches.push([rec(batch[0]!.partNumber, 'dup'), ...batch]);
  }
  return batches;
}

/** Races that the conditional writes must settle: one winner, and no lost part. */
export function concurrencyContract(store: () => UploadStore): void {
  it('gives 20 concurrent complete/abort transitions of one upload exactly one winner', async () => {
    const u = anUpload();
    await store().create(u);
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        store().transition(u.id, {
          from: ['open'],
          to: i % 2 === 0 ? 'completing' : 'aborted',
          at: at(i + 1),
          set: { etag: `"winner-${i}"` },
        }),
      ),
    );
    const winners = results.filter((r) => r !== null);
    expect(winners).toHaveLength(1);
    const stored = await store().get(u.id);
    expect(stored).toEqual(winners[0]);
    expect(['completing', 'aborted']).toContain(stored?.state);
  });

  it(`keeps every part's last ETag when ${CLIENTS} clients record ${PARTS} parts at once`, async () => {
    const u = anUpload({ expiresAt: at(86_400) });
    await store().create(u);
    const results = await Promise.all(
      Array.from({ length: CLIENTS }, async (_, c) => {
        const ok: boolean[] = [];
        for (const [i, batch] of batchesOf(c).entries()) {
          ok.push(await store().putParts(u.id, batch, at(1 + i)));
        }
        return ok;
      }),
    );
    expect(results.flat().every(Boolean)).toBe(true);
    const parts = await store().listParts(u.id);
    expect(parts).toHaveLength(PARTS);
    expect(parts).toEqual(
      Array.from({ length: PARTS }, (_, k) => ({
        partNumber: k + 1,
        etag: etagOf(`r2-${k + 1}`),
        size: k + 1,
        crc64: null,
      })),
    );
  });
}
