/**
 * Issue 9.6 — the server side of completing a 10,000-part upload, on SQLite and on DynamoDB
 * Local: ledger read, every COS List Parts page, verification (ETags, sizes, the part CRCs
 * combined), the Complete XML, and the whole `completeUpload` use case.
 *
 * Method: 10,000 tiny parts are PUT straight to the emulator (presigned with the server's account
 * key) and recorded in the ledger. COS — and so the emulator — refuses to assemble parts under
 * 1 MiB (EntityTooSmall), and 10,000 parts of 1 MiB would be 10 GiB, so the whole use case is
 * timed up to COS's answer: everything the server does, including the conditional writes and
 * the POST Complete with its 10,000-part body, the emulator checking every part, then refusing
 * to assemble. Assembly itself is COS's work, not the backend's.
 */
import { completeUpload } from '../shared/core/complete-upload.ts';
import { verifyUploadParts } from '../shared/core/verify-parts.ts';
import { buildCompleteXml } from '../shared/cos/xml.ts';
import { isStorageRejection, isUploadError } from '../shared/errors.ts';
import type { Bench, BenchContext, BenchResult } from './lib/result.ts';
import { type BenchStack, benchStack, type StoreKind } from './lib/stacks.ts';
import { fmt, median, medianWall, type Sample, sample, wallSamples } from './lib/stats.ts';
import { tinyPartDeps, tinyPartUpload } from './lib/tiny-upload.ts';

const PART_BYTES = 64;

const STEPS = [
  ['ledger', 'ledger read (store.listParts)'],
  ['listParts', 'COS List Parts, all pages (storage.listParts)'],
  ['verify', 'verify ledger vs COS, combine part CRC64s (verifyParts)'],
  ['xml', 'Complete XML body (buildCompleteXml)'],
  ['cosComplete', 'POST Complete to the emulator, refused EntityTooSmall after its checks'],
  ['useCase', 'whole completeUpload use case, up to COS refusing to assemble'],
] as const;
type Step = (typeof STEPS)[number][0];

interface StoreRun {
  samples: Record<Step, Sample[]>;
  ledgerReadUnits: number | null;
  useCaseWriteUnits: number | null;
  setupSeconds: number;
}

/** The refusal every timed complete must end in; anything else means the numbers are not what they claim. */
function expectRefusal(e: unknown): void {
  const tooSmall = isStorageRejection(e, 'EntityTooSmall');
  const refusedParts = isUploadError(e) && e.code === 'PARTS_INVALID' && e.details.storage === 'EntityTooSmall';
  if (!tooSmall && !refusedParts) throw e;
}

async function measure(b: BenchStack, ctx: BenchContext, parts: number, rounds: number): Promise<StoreRun> {
  const deps = tinyPartDeps(b.stack.deps);
  const t0 = performance.now();
  ctx.log(`${b.kind}: uploading ${parts} parts of ${PART_BYTES} B to the emulator and recording them`);
  const { upload } = await tinyPartUpload(deps, {
    owner: 'bench-complete',
    parts,
    partBytes: PART_BYTES,
    concurrency: 16,
    record: true,
  });
  const setupSeconds = (performance.now() - t0) / 1000;
  const key = upload.key;
  const cosId = upload.cosUploadId!;

  const ledger = await deps.store.listParts(upload.id);
  const stored = await deps.storage.listParts(key, cosId);
  const verified = verifyUploadParts(upload, ledger, stored);
  if (!verified.ok) throw new Error(`ledger does not verify: ${JSON.stringify(verified.details).slice(0, 300)}`);
  if (verified.value.partCount !== parts || !verified.value.expectedCrc64)
    throw new Error('verification did not cover every part CRC');
  const plan = verified.value;

  const samples = Object.fromEntries(STEPS.map(([k]) => [k, [] as Sample[]])) as Record<Step, Sample[]>;
  let ledgerReadUnits: number | null = null;
  let useCaseWriteUnits: number | null = null;
  ctx.log(`${b.kind}: ${rounds} rounds`);
  for (let r = 0; r < rounds; r++) {
    const c0 = b.capacity();
    samples.ledger.push(await sample(() => deps.store.listParts(upload.id)));
    const c1 = b.capacity();
    if (c0 && c1) ledgerReadUnits = c1.read - c0.read;
    samples.listParts.push(await sample(() => deps.storage.listParts(key, cosId)));
    samples.verify.push(await sample(() => verifyUploadParts(upload, ledger, stored)));
    samples.xml.push(await sample(() => buildCompleteXml(plan.parts)));
    samples.cosComplete.push(
      await sample(() =>
        deps.storage
          .completeMultipart(key, cosId, plan.parts)
          .then(() => Promise.reject(new Error('assembled?')), expectRefusal),
      ),
    );
    const current = await deps.store.get(upload.id);
    if (current?.state !== 'open') throw new Error(`upload is ${current?.state}, expected open`);
    const w0 = b.capacity();
    samples.useCase.push(
      await sample(() =>
        completeUpload(deps, current).then(() => Promise.reject(new Error('completed?')), expectRefusal),
      ),
    );
    const w1 = b.capacity();
    if (w0 && w1) useCaseWriteUnits = w1.write - w0.write;
  }
  return { samples, ledgerReadUnits, useCaseWriteUnits, setupSeconds };
}

async function run(ctx: BenchContext): Promise<BenchResult> {
  const parts = ctx.quick ? 200 : 10_000;
  const rounds = ctx.runs ?? (ctx.quick ? 1 : 5);
  const results = {} as Record<StoreKind, StoreRun>;
  for (const kind of ['sqlite', 'dynamodb'] as const) {
    const b = await benchStack(kind);
    try {
      results[kind] = await measure(b, ctx, parts, rounds);
    } finally {
      await b.close();
    }
  }
  const rows = STEPS.map(([k, label]) => [
    label,
    fmt(medianWall(results.sqlite.samples[k]), 1),
    fmt(medianWall(results.dynamodb.samples[k]), 1),
  ]);
  const useCase = (k: StoreKind) => median(results[k].samples.useCase.map((s) => s.wallMs));
  return {
    tables: [
      {
        title: `Server-side complete of a ${fmt(parts)}-part upload, wall ms (median of ${rounds})`,
        columns: ['step', 'SQLite', 'DynamoDB Local'],
        rows: [
          ...rows,
          ['DynamoDB read units of the ledger read', '-', fmt(results.dynamodb.ledgerReadUnits ?? Number.NaN, 1)],
          [
            'DynamoDB write units of one refused complete (open→completing→open)',
            '-',
            fmt(results.dynamodb.useCaseWriteUnits ?? Number.NaN, 1),
          ],
        ],
        notes: [
          `Parts of ${PART_BYTES} B, PUT to the emulator with the account key and recorded with their CRC64s (setup: ${fmt(results.sqlite.setupSeconds, 1)} s SQLite, ${fmt(results.dynamodb.setupSeconds, 1)} s DynamoDB Local; not timed).`,
          'COS refuses to assemble parts under 1 MiB, so the whole use case is timed up to that refusal: it includes every step above plus two conditional writes, and lacks only COS assembling the object (COS-side work).',
          "The COS rows run against the local emulator on loopback, in this process: they show the backend's share (paging, parsing every List Parts page of 1,000, building and sending the body), not real COS latency.",
          'DynamoDB Local runs on the JVM in memory on the same 2 cores; DynamoDB in AWS has different latency.',
        ],
      },
    ],
    samples: {
      ...wallSamples(results.sqlite.samples, 'sqlite.'),
      ...wallSamples(results.dynamodb.samples, 'dynamodb.'),
    },
    targets: [
      {
        target: `server-side complete of ${fmt(parts)} parts (no numeric target: reported)`,
        measured: `${fmt(useCase('sqlite'))} ms SQLite, ${fmt(useCase('dynamodb'))} ms DynamoDB Local`,
        met: null,
      },
    ],
  };
}

export const bench: Bench = { name: 'complete', title: 'Server-side complete', run };
