import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Crc64 } from '../../shared/core/crc64.ts';
import { authorization } from '../../shared/cos/signer.ts';
import { TEST_BUCKET, TEST_SECRET_ID, TEST_SECRET_KEY } from '../helpers/cos-emulator.ts';

/**
 * 1 GiB through a multipart upload keeps the emulator process (main.ts, as `npm run cos:local`
 * runs it) under 200 MB resident at its peak: bodies stream to disk, nothing buffers a part.
 * The bytes are generated on the fly here too. For scale: the idle process is ~105 MB, most of it
 * Node 24's TypeScript stripping (the same code bundled to JS idles at ~68 MB); an upload adds
 * ~50-70 MB of socket buffers awaiting garbage collection.
 */

const MiB = 1024 * 1024;
const PART = 16 * MiB;
const PARTS = 64; // 1 GiB
const PARALLEL = 4;

let child: ChildProcess;
let dataDir: string;
let port: number;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'cos-emu-mem-'));
  child = spawn('./node_modules/.bin/node', ['local/cos/main.ts'], {
    env: {
      ...process.env,
      COS_LOCAL_PORT: '0',
      DATA_DIR: dataDir,
      COS_SECRET_ID: TEST_SECRET_ID,
      COS_SECRET_KEY: TEST_SECRET_KEY,
      COS_BUCKET: TEST_BUCKET,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /http:\/\/127\.0\.0\.1:(\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`emulator exited with ${code}`)));
  });
});

afterAll(async () => {
  if (child.exitCode === null) {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  }
  await rm(dataDir, { recursive: true, force: true });
});

/** Part n's bytes: a fixed pseudo-random block with the chunk index stamped in, 1 MiB at a time. */
const block = Buffer.alloc(MiB);
for (let i = 0; i < MiB; i += 4) block.writeUInt32LE((Math.imul(i, 2654435761) ^ 0x9e3779b9) >>> 0, i);
function* partChunks(n: number): Generator<Buffer> {
  for (let c = 0; c < PART / MiB; c++) {
    const chunk = Buffer.from(block);
    chunk.writeUInt32LE(n * 1000 + c, 0);
    yield chunk;
  }
}

function send(
  method: string,
  path: string,
  query: Record<string, string>,
  headers: Record<string, string>,
  body?: Readable,
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; text: string }> {
  const host = `127.0.0.1:${port}`;
  const now = Math.floor(Date.now() / 1000);
  const signed = { host, ...headers };
  const auth = authorization({
    secretId: TEST_SECRET_ID,
    secretKey: TEST_SECRET_KEY,
    method,
    path,
    query,
    headers: signed,
    startSeconds: now - 1,
    endSeconds: now + 900,
  });
  const qs = Object.entries(query)
    .map(([k, v]) => (v === '' ? k : `${k}=${encodeURIComponent(v)}`))
    .join('&');
  return new Promise((resolve, reject) => {
    // A fresh connection each time: the CRC loop below blocks this event loop long enough for a
    // kept-alive socket to be closed by the server unnoticed.
    const req = request(
      {
        agent: false,
        host: '127.0.0.1',
        port,
        method,
        path: `${path}${qs ? `?${qs}` : ''}`,
        headers: { ...signed, authorization: auth },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => {
          text += d;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
      },
    );
    req.on('error', reject);
    if (body) body.pipe(req);
    else req.end();
  });
}

const vmHwmKiB = async (pid: number): Promise<number> => {
  const m = /VmHWM:\s+(\d+) kB/.exec(await readFile(`/proc/${pid}/status`, 'utf8'));
  return Number(m![1]);
};

describe('emulator memory', () => {
  it('stays under 200 MB resident through a 1 GiB multipart upload', async () => {
    const path = '/big/one-gib.bin';
    const init = await send('POST', path, { uploads: '' }, {});
    const uploadId = /<UploadId>([^<]+)<\/UploadId>/.exec(init.text)![1]!;
    const crcs: Crc64[] = [];
    const etags: string[] = [];
    let next = 1;
    const worker = async () => {
      while (next <= PARTS) {
        const n = next++;
        const crc = new Crc64();
        crcs[n] = crc;
        const body = Readable.from(
          (function* () {
            for (const c of partChunks(n)) {
              crc.update(c);
              yield c;
            }
          })(),
        );
        const res = await send(
          'PUT',
          path,
          { partNumber: String(n), uploadId },
          { 'content-length': String(PART) },
          body,
        );
        expect(res.status).toBe(200);
        expect(res.headers['x-cos-hash-crc64ecma']).toBe(crc.toString());
        etags[n] = String(res.headers.etag);
      }
    };
    await Promise.all(Array.from({ length: PARALLEL }, worker));

    const xml = `<CompleteMultipartUpload>${etags
      .slice(1)
      .map((e, i) => `<Part><PartNumber>${i + 1}</PartNumber><ETag>${e}</ETag></Part>`)
      .join('')}</CompleteMultipartUpload>`;
    const done = await send(
      'POST',
      path,
      { uploadId },
      { 'content-length': String(Buffer.byteLength(xml)), 'content-type': 'application/xml' },
      Readable.from([xml]),
    );
    expect(done.status).toBe(200);
    expect(done.text).toContain('<CompleteMultipartUploadResult>');
    const whole = new Crc64();
    for (let n = 1; n <= PARTS; n++) for (const c of partChunks(n)) whole.update(c);
    expect(done.headers['x-cos-hash-crc64ecma']).toBe(whole.toString());

    const head = await send('HEAD', path, {}, {});
    expect(head.headers['content-length']).toBe(String(PART * PARTS));

    const peakMiB = (await vmHwmKiB(child.pid!)) / 1024;
    expect(peakMiB).toBeLessThan(200);

    // main.ts stops cleanly on SIGTERM.
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  }, 120_000);
});
