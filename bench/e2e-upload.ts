/**
 * Issue 9.3 — uploading a 1 GiB file to the local COS on loopback, at the same concurrency and
 * part size: the project's client through the API, raw parallel PUTs of the same bytes straight
 * to the emulator (no coordination at all: the limit), and the official SDK's sliceUploadFile.
 * The stack runs in its own process (like `npm start`), the uploader in this one.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import COS from 'cos-nodejs-sdk-v5';
import { uploadFile } from '../client/node-source.ts';
import { LOCAL_SECRET_ID, LOCAL_SECRET_KEY } from '../local/cos/defaults.ts';
import { CosObjectStorage } from '../shared/cos/cos-object-storage.ts';
import { Presigner } from '../shared/cos/presign.ts';
import { parseEndpoint } from '../shared/cos/url.ts';
import { mapBounded } from '../shared/core/bounded.ts';
import type { Bench, BenchContext, BenchResult } from './lib/result.ts';
import { judged } from './lib/result.ts';
import { type StackInfo, stackProcess } from './lib/stack-process.ts';
import { fmt, GiB, interleaved, MiB, mbps, median, medianCpu, medianWall, ratio, wallSamples } from './lib/stats.ts';
import { makeTestFile } from './lib/test-file.ts';

const PART = 8 * MiB;

interface TestFile {
  path: string;
  size: number;
  /** CRC64 (decimal) of its bytes. */
  crc: string;
}
const CONCURRENCY = 8;

async function readRange(path: string, start: number, end: number): Promise<Uint8Array<ArrayBuffer>> {
  const fh = await open(path, 'r');
  try {
    const buf = new Uint8Array(end - start);
    for (let off = 0; off < buf.length;) {
      const { bytesRead } = await fh.read(buf, off, buf.length - off, start + off);
      if (bytesRead === 0) throw new Error('file shrank');
      off += bytesRead;
    }
    return buf;
  } finally {
    await fh.close();
  }
}

/** The limit: each part's bytes PUT as its own object, presigned with the project's signer. */
async function rawPuts(presigner: Presigner, path: string, size: number, prefix: string): Promise<string[]> {
  const parts = Array.from({ length: Math.ceil(size / PART) }, (_, i) => i);
  const now = new Date();
  return mapBounded(parts, CONCURRENCY, async (i) => {
    const start = i * PART;
    const end = Math.min(size, start + PART);
    const key = `${prefix}/${i}`;
    const signed = presigner.presignPut({
      key,
      query: {},
      headers: { 'Content-Length': String(end - start), 'Content-Type': 'application/octet-stream' },
      now,
      expiresSeconds: 3600,
    });
    const res = await fetch(signed.url, {
      method: 'PUT',
      headers: signed.headers,
      body: await readRange(path, start, end),
    });
    await res.arrayBuffer();
    if (!res.ok) throw new Error(`raw PUT ${key}: HTTP ${res.status}`);
    return key;
  });
}

function sdkUpload(cos: COS, s: StackInfo, key: string, path: string): Promise<void> {
  return new Promise((resolve, reject) =>
    cos.sliceUploadFile({ Bucket: s.bucket, Region: s.region, Key: key, FilePath: path, ChunkSize: PART }, (err) =>
      err ? reject(new Error(`sliceUploadFile: ${JSON.stringify(err).slice(0, 300)}`)) : resolve(),
    ),
  );
}

async function run(ctx: BenchContext): Promise<BenchResult> {
  const size = ctx.quick ? 32 * MiB : GiB;
  const rounds = ctx.runs ?? (ctx.quick ? 1 : 3);
  const dir = mkdtempSync(join(tmpdir(), 'bench-e2e-'));
  const stack = await stackProcess();
  try {
    const file = { path: join(dir, 'upload.bin'), size, crc: '' };
    ctx.log(`writing a ${fmt(size / MiB)} MiB test file`);
    file.crc = await makeTestFile(file.path, size);
    // Warm-up uses a smaller file: it only has to get the JIT and connections going.
    const warmFile = { path: join(dir, 'warm.bin'), size: Math.min(size, 64 * MiB), crc: '' };
    warmFile.crc = await makeTestFile(warmFile.path, warmFile.size);
    const storage = new CosObjectStorage({
      endpoint: stack.bucketUrl,
      bucket: stack.bucket,
      region: stack.region,
      secretId: LOCAL_SECRET_ID,
      secretKey: LOCAL_SECRET_KEY,
    });
    // The raw PUTs are presigned PUT Object URLs from the project's own signer.
    const presigner = new Presigner(parseEndpoint(stack.bucketUrl), LOCAL_SECRET_ID, LOCAL_SECRET_KEY);
    const cos = new COS({
      SecretId: LOCAL_SECRET_ID,
      SecretKey: LOCAL_SECRET_KEY,
      Protocol: 'http',
      Domain: new URL(stack.cosUrl).host,
      // sliceUploadFile's concurrency (its per-call AsyncLimit is untyped and falls back to this).
      ChunkParallelLimit: CONCURRENCY,
    });

    let n = 0;
    /** Keys stored by the last run. */
    const cleanup: string[] = [];
    /** The object must hold exactly the file: same size and CRC64 as written. */
    const checkObject = async (key: string, f: TestFile) => {
      cleanup.push(key);
      const head = await storage.headObject(key);
      if (head?.size !== f.size || head.crc64 !== f.crc) {
        throw new Error(`${key}: stored ${head?.size} bytes, crc ${head?.crc64}; expected ${f.size}, ${f.crc}`);
      }
    };
    // How long the client's final POST /complete takes: the server's verification plus COS (here
    // the emulator) assembling the object — work the raw PUTs never do.
    let lastCompleteMs = 0;
    const completeMs: number[] = [];
    const timingComplete = async (input: string, init?: RequestInit) => {
      if (!input.startsWith(stack.apiUrl) || !input.endsWith('/complete')) return fetch(input, init);
      const t0 = performance.now();
      const res = await fetch(input, init);
      const body = await res.arrayBuffer();
      lastCompleteMs = performance.now() - t0;
      return new Response(body, { status: res.status, statusText: res.statusText, headers: res.headers });
    };
    const contenders = [
      {
        key: 'client',
        label: 'project client (client/upload.ts through the API: session, URL batches, ledger, complete)',
        run: async (f: TestFile) => {
          const done = await uploadFile(f.path, {
            api: stack.apiUrl,
            token: stack.token,
            concurrency: CONCURRENCY,
            partSize: PART,
            fetch: timingComplete,
          });
          if (f === file) completeMs.push(lastCompleteMs);
          await checkObject(done.key, f);
        },
      },
      {
        key: 'raw',
        label: 'raw parallel PUTs of the same 8 MiB pieces as separate objects (no coordination)',
        run: async (f: TestFile) => {
          cleanup.push(...(await rawPuts(presigner, f.path, f.size, `raw/${++n}`)));
        },
      },
      {
        key: 'sdk',
        label: 'cos-nodejs-sdk-v5 sliceUploadFile',
        run: async (f: TestFile) => {
          const key = `sdk/${++n}/upload.bin`;
          await sdkUpload(cos, stack, key, f.path);
          await checkObject(key, f);
        },
      },
    ] as const;

    // Every run stores a full copy on the emulator's disk: deleted (untimed) before the next.
    const deleteStored = async () => {
      await mapBounded(cleanup.splice(0), 8, (key) => storage.deleteObject(key));
    };
    const on = (f: TestFile) => contenders.map((c) => ({ key: c.key, run: () => c.run(f), after: deleteStored }));
    ctx.log(
      `warm-up round (${fmt(warmFile.size / MiB)} MiB), then ${rounds} interleaved rounds of ${fmt(size / MiB)} MiB, concurrency ${CONCURRENCY}`,
    );
    await interleaved(on(warmFile), 1);
    const samples = await interleaved(on(file), rounds);
    const raw = medianWall(samples.raw);
    const complete = median(completeMs);
    const rows = contenders.map((c) => {
      const ms = medianWall(samples[c.key]);
      const done = c.key === 'client' ? fmt(complete / 1000, 2) : '-';
      const before = c.key === 'client' ? ratio(raw, ms - complete) : c.key === 'raw' ? '1.00x' : '-';
      const all = samples[c.key].map((x) => x.wallMs / 1000);
      const range = `${fmt(Math.min(...all), 1)}–${fmt(Math.max(...all), 1)}`;
      const cpu = fmt(medianCpu(samples[c.key]) / 1000, 2);
      return [c.label, fmt(ms / 1000, 2), range, fmt(mbps(size, ms)), ratio(raw, ms), cpu, done, before];
    });
    const client = medianWall(samples.client);
    const sdk = medianWall(samples.sdk);
    return {
      tables: [
        {
          title: `Uploading ${fmt(size / MiB)} MiB to the local COS, concurrency ${CONCURRENCY}, 8 MiB parts (median of ${rounds})`,
          columns: [
            'uploader',
            'seconds',
            'range, s',
            'MB/s',
            'throughput vs raw PUTs',
            'uploader CPU, s',
            'of which POST /complete, s',
            'vs raw PUTs, before complete',
          ],
          rows,
          notes: [
            'One machine, 2 cores: the stack (API + COS emulator, which MD5s, CRCs and writes every byte to disk) runs in its own Node process, the uploader in this one; loopback only.',
            "Every contender reads the same file from disk (page cache) in 8 MiB pieces with 8 requests in flight. Each run is checked: the stored object has the file's size and CRC64.",
            "The client also computes each part's CRC64 (while that part's PUT is in flight) and records parts in the API's ledger; the client and the SDK both end with COS Complete, which assembles the object (the raw PUTs do not).",
            'Objects are deleted between runs (untimed); one 64 MiB warm-up round runs first (untimed).',
            "\"uploader CPU\": CPU time of the uploading process (the stack's is not included). The client's extra is mostly computing every part's CRC64, which it checks against COS's; on 2 shared cores it competes with the emulator hashing the same bytes.",
            '"of which POST /complete": the client\'s last call — the server lists and verifies the parts, then COS assembles the object; the emulator records the object as a manifest of its part files (no bytes copied), so this is mostly the server\'s share. The last column compares the time before that call with the raw PUTs.',
          ],
        },
      ],
      samples: { ...wallSamples(samples), clientCompleteCall: completeMs.map((ms) => Math.round(ms)) },
      targets: [
        {
          target: 'client >= 0.9x raw PUT throughput',
          measured: ratio(raw, client),
          met: judged(ctx, raw / client >= 0.9),
        },
        {
          target: 'client >= 1.0x cos-nodejs-sdk-v5 sliceUploadFile',
          measured: ratio(sdk, client),
          met: judged(ctx, sdk / client >= 1),
        },
      ],
    };
  } finally {
    await stack.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

export const bench: Bench = { name: 'e2e-upload', title: 'End-to-end upload', run };
