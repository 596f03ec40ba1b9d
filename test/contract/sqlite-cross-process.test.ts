import { type ChildProcess, fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { SqliteUploadStore } from '../../shared/store/sqlite-store.ts';
import type { RacerCommand, RacerPut, RacerReport } from '../fixtures/sqlite-racer.ts';
import { winnerEtag } from '../fixtures/sqlite-racer.ts';
import { anUpload } from './fixtures.ts';

const RACER = fileURLToPath(new URL('../fixtures/sqlite-racer.ts', import.meta.url));
const UPLOADS = 300;
/** Both racers take upload i at `startAt + i * SLOT_MS`: about 0.3 ms of work per slot. */
const SLOT_MS = 2;

type Result = Extract<RacerReport, { type: 'result' }>;

/** A racer process on the Node running this test (24, for node:sqlite), with its stderr kept. */
class Racer {
  readonly label: string;
  readonly #child: ChildProcess;
  readonly #messages: RacerReport[] = [];
  #waiters: (() => void)[] = [];
  stderr = '';
  readonly exited: Promise<number | null>;

  constructor(label: string, index: number) {
    this.label = label;
    this.#child = fork(RACER, [label, String(index)], { execPath: process.execPath, execArgv: [], stdio: 'pipe' });
    this.#child.stderr!.on('data', (d: Buffer) => (this.stderr += d.toString()));
    this.#child.on('message', (m: RacerReport) => {
      this.#messages.push(m);
      for (const w of this.#waiters.splice(0)) w();
    });
    this.exited = new Promise((resolve) => this.#child.once('exit', (code) => resolve(code)));
    void this.exited.then(() => {
      for (const w of this.#waiters.splice(0)) w();
    });
  }

  send(c: RacerCommand): void {
    this.#child.send(c);
  }

  /** The next report; a racer that died or reported an error fails the test with its stderr. */
  async next<T extends RacerReport['type']>(type: T): Promise<Extract<RacerReport, { type: T }>> {
    for (;;) {
      const m = this.#messages.shift();
      if (m?.type === type) return m as Extract<RacerReport, { type: T }>;
      if (m) throw new Error(`racer ${this.label} reported ${JSON.stringify(m)}\n${this.stderr}`);
      if (this.#child.exitCode !== null) {
        throw new Error(`racer ${this.label} exited ${this.#child.exitCode} before '${type}'\n${this.stderr}`);
      }
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
  }

  kill(): void {
    if (this.#child.exitCode === null) this.#child.kill();
  }
}

/**
 * The in-process contract runs two connections in one process, where the driver itself
 * serialises them. This is the case the store's comments promise: two processes on one file,
 * each with its own locks, and the WHERE clause (not luck) settling who wins.
 */
describe('SqliteUploadStore across processes', () => {
  const cleanup: (() => unknown)[] = [];
  afterEach(async () => {
    for (const c of cleanup.splice(0).reverse()) await c();
  });

  it(`two processes racing ${UPLOADS} uploads open → completing: one winner each, every acknowledged part kept, no SQLITE_BUSY`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sqlite-cross-'));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const path = join(dir, 'uploads.sqlite');
    const racers = [new Racer('a', 0), new Racer('b', 1)];
    cleanup.push(() => racers.forEach((r) => r.kill()));

    // Both open the fresh file at once: the migration and the switch to WAL race too.
    for (const r of racers) r.send({ type: 'open', path });
    for (const r of racers) await r.next('opened');

    const store = new SqliteUploadStore({ path });
    cleanup.push(() => store.close());
    const uploads = Array.from({ length: UPLOADS }, (_, i) => anUpload({ cosUploadId: `cos-upload-${i}` }));
    for (const u of uploads) await store.create(u);
    const ids = uploads.map((u) => u.id);

    const startAt = Date.now() + 100;
    for (const r of racers) r.send({ type: 'race', ids, startAt, slotMs: SLOT_MS });
    const results: Result[] = [];
    for (const r of racers) results.push(await r.next('result'));
    for (const r of racers) expect(await r.exited, r.stderr).toBe(0);

    expect(results.flatMap((r) => r.errors)).toEqual([]);

    // Exactly one winner per upload, and the stored record is the winner's write.
    const winners = new Map<string, string>();
    results.forEach((res, i) => {
      for (const id of res.won) {
        expect(winners.has(id), `${id} won twice`).toBe(false);
        winners.set(id, racers[i]!.label);
      }
    });
    expect(winners.size).toBe(UPLOADS);
    for (const id of ids) {
      const stored = await store.get(id);
      expect(stored).toMatchObject({ state: 'completing', etag: winnerEtag(winners.get(id)!) });
    }

    // The ledger holds exactly the parts putParts acknowledged (none acknowledged was lost), and
    // what the winner listed right after its transition (what complete would merge): no part
    // landed once the upload had left open. A winner's own part after its transition is refused.
    const puts: RacerPut[] = results.flatMap((r) => r.puts);
    expect(puts).toHaveLength(UPLOADS * 4);
    for (const id of ids) {
      const acknowledged = puts
        .filter((p) => p.id === id && p.ok)
        .map((p) => ({ partNumber: p.partNumber, etag: p.etag }))
        .sort((x, y) => x.partNumber - y.partNumber);
      const ledger = (await store.listParts(id)).map((p) => ({ partNumber: p.partNumber, etag: p.etag }));
      expect(ledger).toEqual(acknowledged);
      const atClose = results.find((r) => r.won.includes(id))!.ledgerAtClose[id];
      expect(atClose, `parts of ${id} recorded after it left open`).toEqual(ledger.map((p) => p.partNumber));
      const winnerIndex = racers.findIndex((r) => r.label === winners.get(id));
      expect(puts.find((p) => p.id === id && p.partNumber === 3 + winnerIndex)?.ok).toBe(false);
    }

    // Both processes won some, so the writes really interleaved rather than ran one after the other.
    const split = results.map((r, i) => `${racers[i]!.label} won ${r.won.length} in ${r.ms} ms`).join(', ');
    for (const res of results) expect(res.won.length, split).toBeGreaterThan(0);
  });
});
