/**
 * Issue 9.4 — API economy of a 10,000-part upload: calls the unmodified client makes to the API,
 * and the DynamoDB write capacity the backend consumes (DynamoDB Local, ReturnConsumedCapacity).
 *
 * Method. 10,000 parts of 1 MiB would be 10 GiB, so the parts are 64 bytes: the stack runs in
 * this process with the planner's part-size floor lifted (a runtime whose configuration says so,
 * installed with installRuntime — the handlers and the client are untouched). Everything up to the ledger is then
 * exactly what a real 10,000-part upload does: create, part-URL batches, 10,000 part PUTs to the
 * emulator, ledger batches, and complete — which COS (the emulator) refuses with EntityTooSmall
 * after the server verified the ledger, so the complete call is made and counted but ends in
 * 409. Its writes (open→completing→open) are the same number as a successful one's
 * (open→completing→completed); a second, real upload of 1 MiB parts that completes shows that.
 */
import { randomBytes } from 'node:crypto';
import { type Upload, UploadClientError, upload } from '../client/upload.ts';
import { installRuntime } from '../shared/runtime/current.ts';
import { type CallCounts, countingFetch } from './lib/counting-fetch.ts';
import type { Bench, BenchContext, BenchResult } from './lib/result.ts';
import { judged } from './lib/result.ts';
import { type BenchStack, benchStack } from './lib/stacks.ts';
import { fmt, MiB } from './lib/stats.ts';
import type { Table } from './lib/table.ts';

const TINY_PART = 64;
const CALL_TARGET = 25;
const WCU_TARGET = 1500;

interface Measured {
  parts: number;
  counts: CallCounts;
  writeUnits: number;
  readUnits: number;
  seconds: number;
  outcome: string;
}

async function measureUpload(
  b: BenchStack,
  bytes: Uint8Array,
  partSize: number,
  expectRefusal: boolean,
): Promise<Measured> {
  const { fetch, counts } = countingFetch(b.stack.apiUrl, () => b.capacity()?.write ?? 0);
  const token = await b.stack.token(`economy-${partSize}`);
  const before = b.capacity()!;
  const t0 = performance.now();
  let outcome: string;
  let done: Upload | null = null;
  try {
    done = await upload(bytes, { api: b.stack.apiUrl, token, concurrency: 16, partSize, fetch });
    outcome = `completed (${done.partCount} parts)`;
  } catch (e) {
    const refused =
      e instanceof UploadClientError &&
      e.code === 'PARTS_INVALID' &&
      JSON.stringify(e.details).includes('EntityTooSmall');
    if (!expectRefusal || !refused) throw e;
    outcome = 'complete refused by COS: EntityTooSmall (expected, see method)';
  }
  if (!expectRefusal && !done) throw new Error('upload did not complete');
  const after = b.capacity()!;
  return {
    parts: Math.ceil(bytes.length / partSize),
    counts,
    writeUnits: after.write - before.write,
    readUnits: after.read - before.read,
    seconds: (performance.now() - t0) / 1000,
    outcome,
  };
}

function table(title: string, m: Measured, notes: string[]): Table {
  const routes = [...m.counts.api].sort((a, b) => a[0].localeCompare(b[0]));
  return {
    title,
    columns: ['what', 'count', 'DynamoDB WCU'],
    rows: [
      ...routes.map(([route, c]) => [`API ${route}`, fmt(c.calls), `${c.overlapped ? '≈ ' : ''}${fmt(c.units, 1)}`]),
      ['API calls in total', fmt(m.counts.apiTotal()), fmt(m.writeUnits, 1)],
      ['part PUTs to COS (not API calls)', fmt(m.counts.cos), '-'],
      ['DynamoDB read capacity units, all calls', fmt(m.readUnits, 1), '-'],
      [`outcome (${fmt(m.seconds, 1)} s)`, m.outcome, '-'],
    ],
    notes,
  };
}

async function run(ctx: BenchContext): Promise<BenchResult> {
  const parts = ctx.quick ? 500 : 10_000;
  // No single-PUT strategy, so the small cross-check upload is multipart like the big one.
  const b = await benchStack('dynamodb', { SINGLE_PUT_MAX_BYTES: '0' });
  try {
    const c = b.stack.config;
    installRuntime(b.stack.runtime.with({ config: { ...c, MIN_PART_BYTES: 1, SINGLE_PUT_MAX_BYTES: 0 } }));
    ctx.log(`${parts} parts of ${TINY_PART} B through the client`);
    const tiny = await measureUpload(b, randomBytes(parts * TINY_PART), TINY_PART, true);
    // The real thing at a size that can complete: 1 MiB parts (COS's minimum), a shorter last one.
    installRuntime(b.stack.runtime);
    const realParts = ctx.quick ? 3 : 8;
    ctx.log(`${realParts} parts of 1 MiB through the client, completing`);
    const real = await measureUpload(b, randomBytes((realParts - 1) * MiB + 12_345), MiB, false);

    const calls = tiny.counts.apiTotal();
    return {
      tables: [
        table(`API economy of a ${fmt(parts)}-part upload (client defaults, DynamoDB Local)`, tiny, [
          `Parts of ${TINY_PART} B (the planner's 1 MiB floor lifted in-process; client, handlers and store unmodified). COS refuses to assemble parts under 1 MiB, so complete ends in 409 after the server has verified all ${fmt(parts)} parts; the call and its writes are counted.`,
          'Capacity units are what DynamoDB Local reports with ReturnConsumedCapacity=TOTAL, summed by the adapter (consumedWriteUnits/consumedReadUnits); they include index writes. Per route: the counter\'s change across that route\'s calls; "≈" marks a route whose calls overlapped another API call (e.g. a URL batch during a ledger flush), which may shift a few units between those two rows.',
          'The client batches 1,000 part URLs and 1,000 ledger records per call by default; it also flushes the ledger every 20 s, so a slower upload may make a few more record calls.',
        ]),
        table(`Cross-check: a ${realParts}-part upload of 1 MiB parts that completes`, real, [
          'Same stack and client, planner floor restored: compare its complete row with the refused one above — a complete that succeeds writes about as much (two state transitions either way).',
        ]),
      ],
      targets: [
        {
          target: `<= ${CALL_TARGET} API calls for ${fmt(parts)} parts`,
          measured: fmt(calls),
          met: judged(ctx, calls <= CALL_TARGET),
        },
        {
          target: `< ${fmt(WCU_TARGET)} DynamoDB WCU for ${fmt(parts)} parts`,
          measured: fmt(tiny.writeUnits, 1),
          met: judged(ctx, tiny.writeUnits < WCU_TARGET),
        },
      ],
    };
  } finally {
    installRuntime(b.stack.runtime);
    await b.close();
  }
}

export const bench: Bench = { name: 'api-economy', title: 'API economy', run };
