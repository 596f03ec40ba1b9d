/**
 * Issue 9.1 — presigning 10,000 UploadPart URLs: the project's signer (the production path,
 * CosObjectStorage.presignUploadParts, full URLs) against the official COS SDK's
 * COS.getAuthorization and against AWS's presigner for the equivalent S3 UploadPart.
 */
import { S3Client, UploadPartCommand } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import COS from 'cos-nodejs-sdk-v5';
import { CosObjectStorage } from '../shared/cos/cos-object-storage.ts';
import { authorization, keyTime } from '../shared/cos/signer.ts';
import type { Bench, BenchContext, BenchResult } from './lib/result.ts';
import { judged } from './lib/result.ts';
import { fmt, interleaved, MiB, medianThread, medianWall, ratio, wallSamples } from './lib/stats.ts';

const SECRET_ID = 'AKIDBENCHMARK00000000000000000000';
const SECRET_KEY = 'benchmarkSecretKey00000000000000';
const HOST = 'uploads-1250000000.cos.ap-guangzhou.myqcloud.com';
const KEY = 'u/3f2a9c/upl_01JBENCHMARK/holiday video (2024).mp4';
const UPLOAD_ID = '1700000000a1b2c3d4e5f60718293a4b5c6d7e8f';
const PART_BYTES = 8 * MiB;
const EXPIRES = 3600;

const storage = new CosObjectStorage({
  endpoint: `https://${HOST}`,
  bucket: 'uploads-1250000000',
  region: 'ap-guangzhou',
  secretId: SECRET_ID,
  secretKey: SECRET_KEY,
});

const s3 = new S3Client({
  region: 'us-east-1',
  endpoint: 'http://127.0.0.1:9',
  forcePathStyle: true,
  credentials: { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' },
});

/** The production path of POST /part-urls: one batch, one `now`, so one signing window. */
function projectBatch(n: number): string[] {
  const parts = Array.from({ length: n }, (_, i) => ({ partNumber: i + 1, contentLength: PART_BYTES }));
  return storage.presignUploadParts(KEY, UPLOAD_ID, parts, new Date(), EXPIRES).map((p) => p.url);
}

/** The same signer without the batch trick: a signKey HMAC per URL, like the SDK does. */
function projectPerUrlKey(n: number): string[] {
  const start = Math.floor(Date.now() / 1000);
  const out: string[] = [];
  for (let p = 1; p <= n; p++) {
    out.push(
      authorization({
        secretId: SECRET_ID,
        secretKey: SECRET_KEY,
        method: 'PUT',
        path: `/${KEY}`,
        query: { partNumber: p, uploadId: UPLOAD_ID },
        headers: { 'Content-Length': String(PART_BYTES), host: HOST },
        startSeconds: start - 60,
        endSeconds: start + EXPIRES,
      }),
    );
  }
  return out;
}

function cosSdk(n: number): string[] {
  const out: string[] = [];
  for (let p = 1; p <= n; p++) {
    out.push(
      COS.getAuthorization({
        SecretId: SECRET_ID,
        SecretKey: SECRET_KEY,
        Method: 'PUT',
        Key: KEY,
        Query: { partNumber: p, uploadId: UPLOAD_ID },
        Headers: { 'Content-Length': PART_BYTES, host: HOST },
        Expires: EXPIRES,
      }),
    );
  }
  return out;
}

async function awsPresigner(n: number): Promise<string[]> {
  const out: string[] = [];
  for (let p = 1; p <= n; p++) {
    const cmd = new UploadPartCommand({
      Bucket: 'uploads',
      Key: KEY,
      UploadId: UPLOAD_ID,
      PartNumber: p,
      ContentLength: PART_BYTES,
    });
    out.push(await getSignedUrl(s3, cmd, { expiresIn: EXPIRES }));
  }
  return out;
}

/** Proves the comparison is like for like: both sign the same request to the same signature. */
function assertSameSignature(): void {
  const url = new URL(
    storage.presignUploadParts(KEY, UPLOAD_ID, [{ partNumber: 7, contentLength: PART_BYTES }], new Date(), EXPIRES)[0]!
      .url,
  );
  const kt = url.searchParams.get('q-key-time')!;
  const [start, end] = kt.split(';').map(Number) as [number, number];
  const sdk = COS.getAuthorization({
    SecretId: SECRET_ID,
    SecretKey: SECRET_KEY,
    Method: 'PUT',
    Key: KEY,
    Query: { partNumber: 7, uploadId: UPLOAD_ID },
    Headers: { 'Content-Length': PART_BYTES, host: HOST },
    KeyTime: keyTime(start, end),
  });
  const sdkSig = /q-signature=([0-9a-f]+)/.exec(sdk)?.[1];
  if (!sdkSig || sdkSig !== url.searchParams.get('q-signature')) {
    throw new Error(`signatures differ: project ${url.searchParams.get('q-signature')} vs SDK ${sdkSig}`);
  }
}

async function run(ctx: BenchContext): Promise<BenchResult> {
  const n = ctx.quick ? 500 : 10_000;
  const rounds = ctx.runs ?? (ctx.quick ? 2 : 7);
  assertSameSignature();
  const contenders = [
    {
      key: 'project',
      label: 'project: CosObjectStorage.presignUploadParts (one batch, one signing window)',
      output: 'full URL',
      run: () => projectBatch(n),
    },
    {
      key: 'perUrl',
      label: 'project: signer authorization(), signKey per URL',
      output: 'auth string',
      run: () => projectPerUrlKey(n),
    },
    { key: 'cos', label: 'cos-nodejs-sdk-v5 COS.getAuthorization', output: 'auth string', run: () => cosSdk(n) },
    {
      key: 'aws',
      label: '@aws-sdk/s3-request-presigner getSignedUrl (S3 UploadPart, SigV4)',
      output: 'full URL',
      run: () => awsPresigner(n),
    },
  ] as const;
  ctx.log(`warming up, then ${rounds} interleaved rounds of ${n} URLs`);
  for (const c of contenders) await c.run();
  const samples = await interleaved(contenders, rounds);
  // Ratios use the main thread's CPU time: the work is synchronous and CPU-bound, and on a shared
  // machine the wall clock also counts time spent waiting for a core (both are shown).
  const cosCpu = medianThread(samples.cos);
  const rows = contenders.map((c) => {
    const wall = medianWall(samples[c.key]);
    const cpu = medianThread(samples[c.key]);
    return [c.label, c.output, fmt(wall, 1), fmt(cpu, 1), fmt((n / cpu) * 1000), ratio(cosCpu, cpu)];
  });
  const projectCpu = medianThread(samples.project);
  return {
    tables: [
      {
        title: `Presigning ${fmt(n)} UploadPart URLs (median of ${rounds})`,
        columns: ['implementation', 'output', 'wall ms', 'CPU ms', 'URLs per CPU-second', 'speed vs COS SDK'],
        rows,
        notes: [
          '"CPU ms": CPU time of the main thread, where all of this work runs; ratios use it, because on a shared machine the wall clock also counts time spent waiting for a core.',
          'Same key (with spaces and parentheses), uploadId, part numbers 1..N, signed Content-Length and host; 1 h validity.',
          "The project's first row is what POST /part-urls runs; its signature equals COS.getAuthorization's for the same KeyTime (checked before timing).",
          'COS.getAuthorization returns only the Authorization string; the project and AWS rows build complete URLs on top.',
        ],
      },
    ],
    samples: wallSamples(samples),
    targets: [
      {
        target: 'presign >= 3x COS.getAuthorization',
        measured: ratio(cosCpu, projectCpu),
        met: judged(ctx, cosCpu / projectCpu >= 3),
      },
    ],
  };
}

export const bench: Bench = { name: 'signing', title: 'Signing', run };
