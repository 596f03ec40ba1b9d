/**
 * `npm run load`: many uploads at once through the local stack (API + COS emulator + SQLite in
 * their own process, as `npm start` would run), each a multipart upload driven over raw HTTP:
 * create → part URLs → PUT parts → record → complete. Reports API latency per route (p50/p99)
 * and errors, and reads every stored object back to check it byte for byte.
 *
 *   npm run load                               # 200 uploads × 20 parts (≈ 4 GiB through loopback)
 *   npm run load -- --uploads 20 --parts 5     # a small run
 *   npm run load -- --webhook                  # also with WEBHOOK_URL: a receiver in this process
 *                                              # counts the events (complete's latency must not move)
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import COS from 'cos-nodejs-sdk-v5';
import { LOCAL_SECRET_ID, LOCAL_SECRET_KEY } from '../local/cos/defaults.ts';
import { Crc64 } from '../shared/core/crc64.ts';
import { stackProcess } from './lib/stack-process.ts';
import { renderTable } from './lib/table.ts';

const { values } = parseArgs({
  options: {
    uploads: { type: 'string', default: '200' },
    parts: { type: 'string', default: '20' },
    'part-concurrency': { type: 'string', default: '4' },
    webhook: { type: 'boolean', default: false },
  },
});
const UPLOADS = Number(values.uploads);
const PARTS = Number(values.parts);
const PART_CONCURRENCY = Number(values['part-concurrency']);
const MiB = 1024 * 1024;
/** The last part is smaller, as in real files. */
const LAST = MiB / 2 + 123;
const SIZE = (PARTS - 1) * MiB + LAST;

/** Part bytes derived from (upload, part): nothing big stays in memory and any byte can be re-made. */
function partBytes(upload: number, part: number): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(part === PARTS ? LAST : MiB);
  let x = (upload * 10_007 + part * 97 + 1) >>> 0;
  for (let i = 0; i < out.length; i += 4) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
    out[i + 1] = (x >>> 8) & 0xff;
    out[i + 2] = (x >>> 16) & 0xff;
    out[i + 3] = (x >>> 24) & 0xff;
  }
  return out;
}

/** CRC64 of everything upload n sends. */
function sentCrc(n: number): string {
  const whole = new Crc64();
  for (let p = 1; p <= PARTS; p++) whole.update(partBytes(n, p));
  return whole.toString();
}

const latencies: Record<string, number[]> = { create: [], 'part-urls': [], 'record-parts': [], complete: [] };
const errors: string[] = [];

/**
 * Progress on stderr (the report alone goes to stdout): redrawn in place on a terminal, a line
 * every 5 s otherwise. A full run moves ~4 GiB and takes a while; silence would read as a hang.
 */
const progress = { partsSent: 0, bytesSent: 0, uploadsDone: 0, verified: 0 };
let phase = 'starting the local stack';
const tty = process.stderr.isTTY === true;
const phaseStarted = { at: performance.now() };
function progressLine(): string {
  const s = (performance.now() - phaseStarted.at) / 1000;
  if (phase === 'uploading') {
    const rate = s > 0 ? progress.bytesSent / MiB / s : 0;
    return (
      `uploading: ${progress.uploadsDone}/${UPLOADS} uploads done, parts ${progress.partsSent}/${UPLOADS * PARTS}, ` +
      `${rate.toFixed(0)} MiB/s, errors ${errors.length}, ${s.toFixed(0)} s`
    );
  }
  if (phase === 'verifying') return `verifying objects byte for byte: ${progress.verified}/${UPLOADS - errors.length}`;
  return `${phase}…`;
}
const columns = () => Math.max(20, (tty ? process.stderr.columns : 0) || 80) - 1;
function drawProgress(): void {
  const line = progressLine().slice(0, columns());
  process.stderr.write(tty ? `\r${line}\x1b[K` : `${line}\n`);
}
function setPhase(next: string): void {
  if (tty) process.stderr.write('\n');
  phase = next;
  phaseStarted.at = performance.now();
  drawProgress();
}
drawProgress();
const ticker = setInterval(drawProgress, tty ? 500 : 5000);
ticker.unref();

/** With --webhook: a receiver answering 204 at once, counting deliveries by webhook-id. */
const hooks = new Map<string, number>();
const receiver = values.webhook
  ? await new Promise<ReturnType<typeof createServer>>((resolve) => {
      const server = createServer((req, res) => {
        const id = String(req.headers['webhook-id']);
        hooks.set(id, (hooks.get(id) ?? 0) + 1);
        req.resume().on('end', () => res.writeHead(204).end());
      });
      server.listen(0, '127.0.0.1', () => resolve(server));
    })
  : null;
const webhookEnv: Record<string, string> = receiver
  ? {
      WEBHOOK_URL: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`,
      WEBHOOK_SECRET: `whsec_${Buffer.from('load-test-webhook-secret').toString('base64')}`,
    }
  : {};

const stack = await stackProcess({
  ...webhookEnv,
  MIN_PART_BYTES: String(MiB),
  DEFAULT_PART_BYTES: String(MiB),
  SINGLE_PUT_MAX_BYTES: String(MiB),
  MAX_OPEN_UPLOADS_PER_OWNER: String(UPLOADS + 10),
});
const headers = { authorization: `Bearer ${stack.token}`, 'content-type': 'application/json' };

async function api<T>(route: string, method: string, path: string, body?: unknown): Promise<T> {
  const started = performance.now();
  const res = await fetch(`${stack.apiUrl}${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  latencies[route]!.push(performance.now() - started);
  if (!res.ok) throw new Error(`${route} ${res.status} ${text.slice(0, 200)}`);
  return JSON.parse(text) as T;
}

interface Completed {
  key: string;
  size: number;
  crc64: string;
}

async function oneUpload(n: number): Promise<Completed> {
  const { upload } = await api<{ upload: { id: string } }>('create', 'POST', '/v1/uploads', {
    fileName: `load-${n}.bin`,
    size: SIZE,
  });
  const { urls } = await api<{ urls: { partNumber: number; url: string; headers: Record<string, string> }[] }>(
    'part-urls',
    'POST',
    `/v1/uploads/${upload.id}/part-urls`,
    { partNumbers: Array.from({ length: PARTS }, (_, i) => i + 1) },
  );
  const parts: { partNumber: number; etag: string; crc64: string }[] = [];
  let next = 0;
  const worker = async () => {
    while (next < urls.length) {
      const u = urls[next++]!;
      const bytes = partBytes(n, u.partNumber);
      const res = await fetch(u.url, { method: 'PUT', headers: u.headers, body: bytes });
      await res.arrayBuffer();
      if (!res.ok) throw new Error(`part PUT ${res.status}`);
      progress.partsSent++;
      progress.bytesSent += bytes.length;
      parts.push({
        partNumber: u.partNumber,
        etag: res.headers.get('etag')!,
        crc64: new Crc64().update(bytes).toString(),
      });
    }
  };
  await Promise.all(Array.from({ length: PART_CONCURRENCY }, worker));
  await api('record-parts', 'PUT', `/v1/uploads/${upload.id}/parts`, { parts });
  return (await api<{ upload: Completed }>('complete', 'POST', `/v1/uploads/${upload.id}/complete`)).upload;
}

setPhase('uploading');
const t0 = performance.now();
const results = await Promise.all(
  Array.from({ length: UPLOADS }, (_, n) =>
    oneUpload(n).then(
      (done) => {
        progress.uploadsDone++;
        return { n, done };
      },
      (e: unknown) => {
        const cause = (e as { cause?: { code?: string; message?: string } }).cause;
        errors.push(`${String(e)}${cause ? ` (${cause.code ?? cause.message})` : ''}`);
        return null;
      },
    ),
  ),
);
const wallS = (performance.now() - t0) / 1000;

// Byte-exact: each object is read back with the official SDK and its CRC64 compared with the
// bytes generated here, as is the crc64 the API reported at complete.
const cos = new COS({
  SecretId: LOCAL_SECRET_ID,
  SecretKey: LOCAL_SECRET_KEY,
  Protocol: 'http',
  Domain: new URL(stack.cosUrl).host,
});
let mismatched = 0;
setPhase('verifying');
for (const r of results) {
  if (!r) continue;
  const body = await new Promise<Buffer>((resolve, reject) =>
    cos.getObject({ Bucket: stack.bucket, Region: stack.region, Key: r.done.key }, (err, data) =>
      err ? reject(err) : resolve(data.Body as Buffer),
    ),
  );
  const expected = sentCrc(r.n);
  if (r.done.crc64 !== expected || new Crc64().update(body).toString() !== expected || body.length !== SIZE)
    mismatched++;
  progress.verified++;
}
// Events are delivered after the fact: give the deliverer a moment to catch up before counting.
for (const until = Date.now() + 30_000; receiver && hooks.size < UPLOADS - errors.length && Date.now() < until;) {
  await new Promise((r) => setTimeout(r, 100));
}
drawProgress();
clearInterval(ticker);
if (tty) process.stderr.write('\n');
await stack.stop();
receiver?.close();

const pct = (xs: readonly number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor(q * s.length))]! : Number.NaN;
};
const ms = (x: number) => `${x.toFixed(1)} ms`;
const rows = [...Object.entries(latencies), ['all API calls', Object.values(latencies).flat()] as const].map(
  ([route, xs]) => [route, xs.length, ms(pct(xs, 0.5)), ms(pct(xs, 0.99)), ms(Math.max(...xs))],
);
process.stdout.write(
  renderTable({
    title: `Load: ${UPLOADS} concurrent uploads × ${PARTS} parts`,
    columns: ['route', 'calls', 'p50', 'p99', 'max'],
    rows,
    notes: [
      `wall ${wallS.toFixed(1)} s, ${((UPLOADS * SIZE) / MiB / wallS).toFixed(0)} MiB/s into the local COS; errors: ${errors.length}; objects not byte-exact: ${mismatched}`,
      'API and emulator run in one child process (as `npm start`), the uploaders in this one; 2-core machine, loopback.',
      ...(receiver
        ? [
            `webhooks on: ${hooks.size} events received for ${UPLOADS - errors.length} uploads, ${[...hooks.values()].filter((n) => n > 1).length} delivered more than once`,
          ]
        : ['webhooks off (WEBHOOK_URL unset)']),
    ],
  }),
);
if (errors.length) process.stderr.write(`${errors.slice(0, 5).join('\n')}\n`);
process.exit(errors.length || mismatched ? 1 : 0);
