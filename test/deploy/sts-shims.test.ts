import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lambdaBuildOptions } from '../../build/bundle.ts';
import FormDataShim from '../../build/shims/form-data.ts';
import { verifyTc3 } from '../../local/cos/tc3.ts';
import { startTestEmulator, TEST_SECRET_ID, TEST_SECRET_KEY, type TestEmulator } from '../helpers/cos-emulator.ts';
import { runCase, type StsCase } from './sts-driver.ts';

/**
 * build/bundle.ts swaps the Tencent SDK's node-fetch and form-data for build/shims/ (Node 24's
 * fetch). The same STS calls run through the real packages (in-process) and through the bundle
 * (a fresh Node process): every outcome, error message and request on the wire must match.
 */

const root = resolve(import.meta.dirname, '../..');
const node = join(root, 'node_modules', '.bin', 'node');
// The form-data the SDK itself depends on (v3), not whatever is hoisted to the top.
const sdkRequire = createRequire(join(root, 'node_modules', 'tencentcloud-sdk-nodejs-common', 'package.json'));
const RealFormData = sdkRequire('form-data') as new () => {
  append(name: string, value: unknown): void;
  setBoundary(b: string): void;
  getBoundary(): string;
  getHeaders(h?: Record<string, string>): Record<string, string>;
  getBuffer(): Buffer;
};

interface Received {
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** verifyTc3's verdict on the bytes that arrived: 'ok' or its error. */
  signature: string;
}

interface Stub {
  endpoint: string;
  received: Received[];
  server: Server;
  sockets: Set<Socket>;
}

const ANSWER = {
  Response: {
    Credentials: { Token: 'token', TmpSecretId: 'AKIDtmp', TmpSecretKey: 'tmp-key' },
    ExpiredTime: Math.floor(Date.now() / 1000) + 900,
    Expiration: '2030-01-01T00:00:00Z',
    RequestId: 'stub-request',
  },
};

type Behaviour = 'answer' | 'status-500' | 'bad-json' | 'hang' | 'hang-in-body';

async function stub(behaviour: Behaviour): Promise<Stub> {
  const received: Received[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      let signature = 'ok';
      try {
        verifyTc3({
          method: req.method ?? '',
          url: req.url ?? '',
          headers: req.headers,
          body,
          nowMs: Date.now(),
          secretId: TEST_SECRET_ID,
          secretKey: TEST_SECRET_KEY,
        });
      } catch (e) {
        signature = String(e);
      }
      received.push({ headers: req.headers, body, signature });
      if (behaviour === 'answer')
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(ANSWER));
      if (behaviour === 'status-500') res.writeHead(500).end('upstream broke');
      if (behaviour === 'bad-json')
        res.writeHead(200, { 'content-type': 'application/json' }).end('<html>proxy</html>');
      if (behaviour === 'hang-in-body')
        res.writeHead(200, { 'content-type': 'application/json' }).write('{"Response":');
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return { endpoint: `127.0.0.1:${(server.address() as AddressInfo).port}`, received, server, sockets };
}

const close = (s: Stub) =>
  new Promise<void>((done) => {
    for (const socket of s.sockets) socket.destroy();
    s.server.close(() => done());
  });

let dir: string;
let emulator: TestEmulator;
const stubs = {} as Record<Behaviour, Stub>;
let refused: string;
let bundle: string;
let inputs: string[];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sts-shims-'));
  emulator = await startTestEmulator();
  for (const b of ['answer', 'status-500', 'bad-json', 'hang', 'hang-in-body'] as const) stubs[b] = await stub(b);
  const gone = await stub('answer');
  refused = gone.endpoint;
  await close(gone);
  bundle = join(dir, 'sts-driver.mjs');
  const result = await build({
    ...lambdaBuildOptions,
    absWorkingDir: root,
    entryPoints: [join(import.meta.dirname, 'sts-driver.ts')],
    outfile: bundle,
    metafile: true,
    logLevel: 'error',
  });
  inputs = Object.keys(result.metafile.inputs);
}, 60_000);

afterAll(async () => {
  await Promise.allSettled([emulator?.close(), ...Object.values(stubs).map(close)]);
  if (dir) await rm(dir, { recursive: true, force: true });
});

const good = { secretId: TEST_SECRET_ID, secretKey: TEST_SECRET_KEY, timeoutSeconds: 1 };
const cases = (): Record<string, StsCase> => ({
  emulator: { kind: 'issue', endpoint: `127.0.0.1:${emulator.emulator.port}`, ...good },
  'emulator, wrong key': {
    kind: 'issue',
    endpoint: `127.0.0.1:${emulator.emulator.port}`,
    ...good,
    secretKey: 'not-the-key',
  },
  answer: { kind: 'issue', endpoint: stubs.answer.endpoint, ...good },
  'status 500': { kind: 'issue', endpoint: stubs['status-500'].endpoint, ...good },
  'not JSON': { kind: 'issue', endpoint: stubs['bad-json'].endpoint, ...good },
  'no answer': { kind: 'issue', endpoint: stubs.hang.endpoint, ...good },
  'answer stops mid-body': { kind: 'issue', endpoint: stubs['hang-in-body'].endpoint, ...good },
  'connection refused': { kind: 'issue', endpoint: refused, ...good },
  multipart: { kind: 'multipart', endpoint: stubs.answer.endpoint, ...good },
});

async function runBundled(list: StsCase[]): Promise<unknown[]> {
  const casesFile = join(dir, `cases-${Date.now()}.json`);
  const outFile = `${casesFile}.out`;
  await writeFile(casesFile, JSON.stringify(list));
  const stderr = await new Promise<string>((done, fail) => {
    const child = spawn(node, [bundle, casesFile, outFile], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (c: Buffer) => {
      err += c.toString('utf8');
    });
    child.on('error', fail);
    child.on('close', () => done(err));
  });
  const text = await readFile(outFile, 'utf8').catch(() => {
    throw new Error(`the bundled driver did not finish:\n${stderr}`);
  });
  return JSON.parse(text) as unknown[];
}

/** One request as the test compares it: what is signed and sent, without per-call values. */
function wire(r: Received) {
  const h = r.headers;
  const type = String(h['content-type']);
  const boundary = /boundary=(.+)$/.exec(type)?.[1];
  const unbound = (s: string) => (boundary ? s.split(boundary).join('<boundary>') : s);
  return {
    signature: r.signature,
    host: h.host,
    connection: h.connection,
    contentType: unbound(type),
    contentLength: h['content-length'],
    tc: Object.fromEntries(
      ['x-tc-action', 'x-tc-region', 'x-tc-version', 'x-tc-requestclient', 'x-tc-token'].map((k) => [k, h[k]]),
    ),
    body: unbound(r.body.toString('latin1')),
  };
}

describe('the Tencent SDK on the bundle shims', () => {
  it('the bundle carries the shims, not node-fetch, whatwg-url, tr46, form-data or mime-db', () => {
    expect(inputs).toEqual(expect.arrayContaining(['build/shims/node-fetch.ts', 'build/shims/form-data.ts']));
    const real = inputs.filter((i) => /node_modules\/(node-fetch|whatwg-url|tr46|form-data|mime-db)\//.test(i));
    expect(real).toEqual([]);
  });

  it('every STS outcome and request matches the real node-fetch and form-data', async () => {
    const named = cases();
    const list = Object.values(named);
    const real: unknown[] = [];
    for (const c of list) real.push(await runCase(c));
    const sentReal = stubs.answer.received.splice(0).map(wire);
    const shimmed = await runBundled(list);
    const sentShimmed = stubs.answer.received.splice(0).map(wire);

    const byName = (outcomes: unknown[]) => Object.fromEntries(Object.keys(named).map((n, i) => [n, outcomes[i]]));
    expect(byName(shimmed)).toEqual(byName(real));
    expect(sentShimmed).toEqual(sentReal);

    // The cases reach the paths they are named after (so the comparison above means something).
    const r = byName(real) as Record<string, Record<string, unknown> & { cause?: Record<string, unknown> }>;
    expect(r.emulator).toEqual({ ok: expect.objectContaining({ tmpSecretId: 'string', sessionToken: 'string' }) });
    expect(r.answer).toEqual(r.emulator);
    expect(r['emulator, wrong key']).toMatchObject({
      status: 502,
      cause: { code: expect.stringMatching(/^AuthFailure/) },
    });
    expect(r['status 500']).toMatchObject({ status: 503, cause: { httpCode: 500 } });
    expect(r['not JSON']).toMatchObject({ status: 502, cause: { name: 'FetchError', type: 'invalid-json' } });
    expect(r['no answer']).toMatchObject({
      status: 503,
      cause: { message: `network timeout at: http://${stubs.hang.endpoint}/` },
    });
    expect(r['answer stops mid-body']).toMatchObject({ status: 502, cause: { type: 'body-timeout' } });
    expect(r['connection refused']).toMatchObject({
      status: 503,
      cause: { message: expect.stringContaining(`failed, reason: connect ECONNREFUSED ${refused}`) },
    });
    expect(r.multipart).toMatchObject({ ok: { RequestId: 'stub-request' } });
    expect(sentReal.map((s) => s.signature)).toEqual(['ok', 'ok']);
    expect(sentReal[0]).toMatchObject({ tc: { 'x-tc-action': 'GetFederationToken' } });
    expect(sentReal[1]!.contentType).toBe('multipart/form-data; boundary=<boundary>');
  }, 60_000);

  it('the form-data shim writes form-data 3 bytes and headers', () => {
    const fields: [string, unknown][] = [
      ['Text', 'plain, ünïcode'],
      ['Bytes', Buffer.from([0, 13, 10, 255])],
      ['Number', 42],
      ['quoted "name"\r\n', 'v'],
      ['Empty', ''],
    ];
    const real = new RealFormData();
    const shim = new FormDataShim();
    for (const f of [real, shim]) {
      f.setBoundary('--------------------------0123456789abcdef01234567');
      for (const [k, v] of fields) f.append(k, v);
    }
    expect(shim.getBuffer().toString('latin1')).toBe(real.getBuffer().toString('latin1'));
    expect(shim.getHeaders({ 'X-A': 'b' })).toEqual(real.getHeaders({ 'X-A': 'b' }));
    expect(new FormDataShim().getBoundary()).toMatch(/^-{26}[0-9a-f]{24}$/);
    expect(new RealFormData().getBoundary()).toMatch(/^-{26}[0-9a-f]{24}$/);
  });
});
