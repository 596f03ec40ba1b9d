import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type { APIGatewayProxyEventV2, APIGatewayProxyResult, DynamoDBBatchResponse } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleAll } from '../../build/bundle.ts';
import { LOCAL_BUCKET, LOCAL_REGION, LOCAL_SECRET_ID, LOCAL_SECRET_KEY } from '../../local/cos/defaults.ts';
import { type CosEmulator, startCosEmulator } from '../../local/cos/server.ts';
import { mintToken } from '../../local/dev-auth.ts';
import { startDynamoDbStreamTrigger } from '../../local/dynamodb-stream-trigger.ts';
import { createLogger } from '../../shared/logger.ts';
import { startTestDynamoDb } from '../helpers/dynamodb-local.ts';
import { unzip } from './unzip.ts';

const root = resolve(import.meta.dirname, '../..');
const node = join(root, 'node_modules', '.bin', 'node');
const runner = join(import.meta.dirname, 'invoke-bundle.ts');
const JWT_SECRET = 'bundle-run-test-secret-0123456789';
const MiB = 1024 * 1024;

let dir: string;
let names: string[];
let emulator: CosEmulator;
let db: { endpoint: string; stop(): Promise<void> };
let env: NodeJS.ProcessEnv;

// Bundles every function, then unpacks each zip on its own: what runs below is exactly what Lambda gets.
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'bundle-run-'));
  const [bundles, cos, dynamo] = await Promise.all([
    bundleAll({ root, outDir: join(dir, 'zips') }),
    startCosEmulator({
      port: 0,
      dataDir: join(dir, 'cos'),
      secretId: LOCAL_SECRET_ID,
      secretKey: LOCAL_SECRET_KEY,
      bucket: LOCAL_BUCKET,
      region: LOCAL_REGION,
      log: () => undefined,
    }),
    startTestDynamoDb(),
  ]);
  emulator = cos;
  db = dynamo;
  names = bundles.map((b) => b.fn);
  for (const b of bundles) {
    for (const entry of unzip(await readFile(b.zipPath))) {
      const file = join(dir, 'run', b.fn, entry.name);
      await mkdir(dirname(file), { recursive: true });
      await writeFile(file, entry.data);
    }
  }
  // Only what the deployed environment sets (serverless.yml), pointed at the local stand-ins.
  env = {
    PATH: process.env.PATH,
    NODE_OPTIONS: '--enable-source-maps',
    UPLOADS_STORE: 'dynamodb',
    UPLOADS_TABLE: 'bundle-run',
    DYNAMODB_ENDPOINT: db.endpoint,
    COS_BUCKET: LOCAL_BUCKET,
    COS_REGION: LOCAL_REGION,
    COS_ENDPOINT: emulator.bucketUrl,
    COS_SECRET_ID: LOCAL_SECRET_ID,
    COS_SECRET_KEY: LOCAL_SECRET_KEY,
    STS_ENDPOINT: `127.0.0.1:${emulator.port}`,
    AUTH_JWT_SECRET: JWT_SECRET,
    LOG_LEVEL: 'silent',
  };
}, 240_000);

afterAll(async () => {
  await Promise.allSettled([emulator?.close(), db?.stop()]);
  if (dir) await rm(dir, { recursive: true, force: true });
});

interface RunResult {
  exports: string[];
  results: unknown[];
}

/** A cold start: a fresh Node 24 imports the unpacked bundle of `fn` and handles `events` in order. */
async function invoke(fn: string, events: unknown[], extraEnv: NodeJS.ProcessEnv = {}): Promise<RunResult> {
  const request = join(dir, `${fn}-${Date.now()}-${Math.random().toString(36).slice(2)}-request.json`);
  const result = `${request}.result`;
  await writeFile(request, JSON.stringify({ fn, events }));
  const stderr = await new Promise<string>((done, fail) => {
    const child = spawn(node, [runner, join(dir, 'run', fn), request, result], {
      env: { ...env, ...extraEnv },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (c: Buffer) => {
      err += c.toString('utf8');
    });
    child.on('error', fail);
    child.on('close', () => done(err));
  });
  const text = await readFile(result, 'utf8').catch(() => {
    throw new Error(`${fn}: the bundle did not run:\n${stderr}`);
  });
  return JSON.parse(text) as RunResult;
}

function httpEvent(
  routeKey: string,
  path: string,
  opts: {
    token?: string;
    body?: unknown;
    pathParameters?: Record<string, string>;
    query?: Record<string, string>;
  } = {},
): APIGatewayProxyEventV2 {
  const method = routeKey === '$default' ? 'GET' : routeKey.split(' ')[0]!;
  const headers: Record<string, string> = { host: 'api.example.test', 'content-type': 'application/json' };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  const now = Date.now();
  return {
    version: '2.0',
    routeKey,
    rawPath: path,
    rawQueryString: new URLSearchParams(opts.query).toString(),
    headers,
    queryStringParameters: opts.query,
    pathParameters: opts.pathParameters,
    body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
    isBase64Encoded: false,
    requestContext: {
      accountId: '000000000000',
      apiId: 'bundle',
      domainName: 'api.example.test',
      domainPrefix: 'api',
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'bundle-run' },
      requestId: `req-${now}`,
      routeKey,
      stage: '$default',
      time: new Date(now).toUTCString(),
      timeEpoch: now,
    },
  };
}

const only = async (fn: string, event: unknown, extraEnv?: NodeJS.ProcessEnv) => {
  const { results } = await invoke(fn, [event], extraEnv);
  const res = results[0] as APIGatewayProxyResult;
  return { status: res.statusCode, body: res.body ? (JSON.parse(res.body) as Record<string, unknown>) : null };
};

/**
 * One small upload through the bundles, completed by the stream: bundled create, part-urls and a
 * PUT of `file`; complete with no wait (202), the merge left to a cold complete-worker bundle that
 * the local trigger feeds DynamoDB Local's real stream records (as the stream's Lambda would); then
 * the upload, read through the bundled get-upload, once it is no longer `completing`.
 */
async function completeThroughStream(
  sub: string,
  body: Record<string, unknown>,
  file: Buffer<ArrayBuffer>,
  extraEnv: NodeJS.ProcessEnv = {},
): Promise<{ upload: { state: string; lastError: { code: string } | null }; stats: unknown }> {
  const token = await mintToken({ secret: JWT_SECRET, sub });
  const created = await only(
    'create-upload',
    httpEvent('POST /v1/uploads', '/v1/uploads', { token, body: { ...body, size: file.length } }),
    extraEnv,
  );
  expect(created.status).toBe(201);
  const id = (created.body!.upload as { id: string }).id;
  const at = (suffix: string) => ({ token, pathParameters: { id }, path: `/v1/uploads/${id}${suffix}` });
  const urls = await only(
    'part-urls',
    httpEvent('POST /v1/uploads/{id}/part-urls', at('/part-urls').path, { ...at(''), body: { partNumbers: [1] } }),
  );
  const url = (urls.body!.urls as { url: string; headers: Record<string, string> }[])[0]!;
  expect((await fetch(url.url, { method: 'PUT', headers: url.headers, body: file })).status).toBe(200);
  const trigger = await startDynamoDbStreamTrigger({
    endpoint: db.endpoint,
    table: env.UPLOADS_TABLE!,
    log: createLogger('silent'),
    handler: async (event) => (await invoke('complete-worker', [event], extraEnv)).results[0] as DynamoDBBatchResponse,
  });
  try {
    // No wait at all: complete answers 202 and leaves the merge to the worker.
    const completed = await only(
      'complete-upload',
      httpEvent('POST /v1/uploads/{id}/complete', at('/complete').path, at('')),
      { ...extraEnv, COMPLETE_WAIT_SECONDS: '0' },
    );
    expect(completed.status, JSON.stringify(completed.body)).toBe(202);
    let upload = { state: 'completing', lastError: null as { code: string } | null };
    for (const end = Date.now() + 30_000; upload.state === 'completing' && Date.now() < end;) {
      await new Promise((r) => setTimeout(r, 200));
      const got = await only('get-upload', httpEvent('GET /v1/uploads/{id}', at('').path, at('')));
      upload = got.body!.upload as typeof upload;
    }
    return { upload, stats: trigger.stats };
  } finally {
    await trigger.close();
  }
}

describe('bundled handlers in a fresh Node 24 process', () => {
  it('every zip alone loads as an ES module and exports handler', async () => {
    // Two at a time: one per core.
    const queue = [...names];
    const loaded = new Map<string, string[]>();
    const worker = async () => {
      for (let fn = queue.shift(); fn !== undefined; fn = queue.shift()) loaded.set(fn, (await invoke(fn, [])).exports);
    };
    await Promise.all([worker(), worker()]);
    for (const fn of names) expect(loaded.get(fn), fn).toContain('handler');
  });

  it('puts in each zip only what its route uses: XML and the COS client, or the Tencent STS SDK', async () => {
    const callsCos = [
      'abort-upload',
      'admin-abort-upload',
      'admin-sweep',
      // HEADs the staging object.
      'append-url',
      'complete-batch',
      'complete-upload',
      'compose-upload',
      'complete-worker',
      'create-batch',
      'create-upload',
      'download-url',
      'part-urls',
      'sweep-schedule',
    ];
    // Markers that survive minification: fast-xml-parser's option names, the Tencent SDK's client tag.
    const carries = async (fn: string, marker: string) => {
      const files = await readdir(join(dir, 'run', fn), { recursive: true });
      const code = files.filter((f) => f.endsWith('.mjs'));
      const texts = await Promise.all(code.map((f) => readFile(join(dir, 'run', fn, f), 'utf8')));
      return texts.some((t) => t.includes(marker));
    };
    for (const fn of names) {
      // SQLite is the local store: a deployed function carries only the DynamoDB one.
      expect(await carries(fn, 'PRAGMA user_version'), `${fn}: SQLite store`).toBe(false);
      expect(await carries(fn, 'ignoreAttributes'), `${fn}: XML parser`).toBe(callsCos.includes(fn));
      expect(await carries(fn, 'SDK_NODEJS'), `${fn}: Tencent STS SDK`).toBe(fn === 'credentials');
    }
  });

  it('healthz and the $default catch-all answer the contract', async () => {
    expect(await only('healthz', httpEvent('GET /healthz', '/healthz'))).toEqual({ status: 200, body: { ok: true } });
    const missing = await only('not-found', httpEvent('$default', '/v1/nope'));
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ error: { code: 'NOT_FOUND' } });
  });

  it('answers a bad body with the issue paths and zod messages of the unbundled code', async () => {
    // zod/mini's English locale is set by a side effect of shared/zod.ts; a bundler must keep it.
    const token = await mintToken({ secret: JWT_SECRET, sub: 'bundle-owner' });
    const bad = await only(
      'create-upload',
      httpEvent('POST /v1/uploads', '/v1/uploads', { token, body: { fileName: '', size: -1 } }),
    );
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({
      error: {
        code: 'VALIDATION_FAILED',
        details: {
          issues: [
            { path: ['body', 'fileName'], message: 'Too small: expected string to have >=1 characters' },
            { path: ['body', 'fileName'], message: 'must not be blank' },
            { path: ['body', 'size'], message: 'Too small: expected number to be >=0' },
          ],
        },
      },
    });
  });

  it('runs an upload through the lazily loaded DynamoDB, COS and STS chunks', async () => {
    const token = await mintToken({ secret: JWT_SECRET, sub: 'bundle-owner' });
    const admin = await mintToken({ secret: JWT_SECRET, sub: 'bundle-admin', admin: true });
    const created = await only(
      'create-upload',
      httpEvent('POST /v1/uploads', '/v1/uploads', { token, body: { fileName: 'movie.mp4', size: 30 * MiB } }),
    );
    expect(created.status).toBe(201);
    const upload = created.body!.upload as { id: string; strategy: string; cosUploadId: string };
    expect(upload.strategy).toBe('multipart');
    const id = upload.id;
    const at = (suffix: string) => ({
      token,
      pathParameters: { id } as Record<string, string>,
      path: `/v1/uploads/${id}${suffix}`,
    });

    const urls = await only(
      'part-urls',
      httpEvent('POST /v1/uploads/{id}/part-urls', at('/part-urls').path, { ...at(''), body: { partNumbers: [1, 2] } }),
    );
    expect(urls.status).toBe(200);
    expect((urls.body!.urls as { url: string }[]).map((u) => new URL(u.url).origin)).toEqual(
      [emulator.url, emulator.url].map((u) => new URL(u).origin),
    );

    const creds = await only(
      'credentials',
      httpEvent('POST /v1/uploads/{id}/credentials', at('/credentials').path, at('')),
    );
    expect(creds.status).toBe(200);
    expect(creds.body).toMatchObject({
      uploadId: upload.cosUploadId,
      credentials: { tmpSecretId: expect.any(String) },
    });

    const got = await only('get-upload', httpEvent('GET /v1/uploads/{id}', at('').path, at('')));
    expect(got.status).toBe(200);
    expect(got.body).toMatchObject({ upload: { id, state: 'open' }, parts: [] });

    expect((await only('abort-upload', httpEvent('DELETE /v1/uploads/{id}', at('').path, at('')))).status).toBe(204);

    const listed = await only(
      'admin-list-uploads',
      httpEvent('GET /v1/admin/uploads', '/v1/admin/uploads', { token: admin, query: { owner: 'bundle-owner' } }),
    );
    expect(listed.status).toBe(200);
    expect(listed.body!.uploads).toEqual([expect.objectContaining({ id, state: 'aborted' })]);
  });

  it('completes an upload from the table stream: the real stream records, the bundled worker', async () => {
    const file = Buffer.from('bytes merged by the stream-started worker');
    const { upload, stats } = await completeThroughStream('bundle-owner', { fileName: 'small.txt' }, file);
    expect(upload.state).toBe('completed');
    expect(stats).toMatchObject({ invocations: 1, delivered: 1, failed: 0 });
  });

  it('verifies content in the bundled stream worker: its lazily loaded file-type chunk is in the zip', async () => {
    const file = Buffer.from('plain words, declared to be a picture');
    const body = { fileName: 'fake.png', contentType: 'image/png' };
    const { upload } = await completeThroughStream('bundle-verify', body, file, { VERIFY_CONTENT_TYPE: 'true' });
    expect(upload).toMatchObject({ state: 'aborted', lastError: { code: 'CONTENT_MISMATCH' } });
  });

  it('runs the scheduled sweep from an EventBridge event', async () => {
    const scheduled = {
      version: '0',
      source: 'aws.events',
      'detail-type': 'Scheduled Event',
      detail: {},
      time: new Date().toISOString(),
    };
    const { results } = await invoke('sweep-schedule', [scheduled]);
    expect(results[0]).toMatchObject({ aborted: expect.any(Array), orphans: expect.any(Array) });
  });
});
