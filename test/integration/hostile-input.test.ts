import type { APIGatewayProxyEventV2, APIGatewayProxyResult, Context } from 'aws-lambda';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import fc from 'fast-check';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadHandler, ROUTES } from '../../local/routes.ts';
import type { LocalStack } from '../../local/stack.ts';
import { apiClient, bytesOf, putPart } from '../helpers/api-client.ts';
import { startTestStack, type TestStack } from '../helpers/test-stack.ts';

/**
 * Thousands of generated hostile requests per route, through the real handlers (real API
 * Gateway v2 events, middy pipeline, SQLite store, COS emulator): never a 5xx, every error a
 * contract body, and no state change on any rejected request.
 */
/** Item errors that would be a 5xx on their own route: with a healthy emulator, a bug. */
const SERVER_FAULTS = new Set(['INTERNAL', 'STORAGE_UNAVAILABLE', 'STORE_UNAVAILABLE']);
const RUNS = Number(process.env.HOSTILE_RUNS ?? 5000);
const CODES = new Set([
  'VALIDATION_FAILED',
  'MALFORMED_JSON',
  'PAYLOAD_TOO_LARGE',
  'UNAUTHORIZED',
  'FORBIDDEN',
  'NOT_FOUND',
  'UPLOAD_NOT_OPEN',
  'PARTS_INVALID',
  'UPLOAD_TOO_LARGE',
  'CONTENT_TYPE_NOT_ALLOWED',
  'TOO_MANY_OPEN_UPLOADS',
  'IDEMPOTENCY_KEY_IN_USE',
  'IDEMPOTENCY_KEY_REUSED',
  'UPLOAD_NOT_COMPLETED',
  'APPEND_POSITION_MISMATCH',
]);
const MiB = 1024 * 1024;

let testStack: TestStack | undefined;
let stack: LocalStack;
let tokens: string[];
let ids: { open: string; single: string; bob: string; append: string; done: string };

const ctx = { getRemainingTimeInMillis: () => 29_000 } as Context;
type Handler = (e: APIGatewayProxyEventV2, c: Context) => Promise<APIGatewayProxyResult>;

beforeAll(async () => {
  testStack = await startTestStack('hostile', {
    env: {
      MAX_OPEN_UPLOADS_PER_OWNER: '20',
      ALLOWED_CONTENT_TYPES: 'image/*,application/octet-stream',
      UPLOAD_PROFILES: JSON.stringify({
        avatars: { maxUploadBytes: 1024 ** 2, allowedContentTypes: 'image/*', maxOpenUploadsPerOwner: 5 },
      }),
      VERIFY_CONTENT_TYPE: 'true',
    },
  });
  stack = testStack.stack;
  const secret = new TextEncoder().encode(stack.config.AUTH_JWT_SECRET!);
  const now = Math.floor(Date.now() / 1000);
  const sign = (claims: Record<string, unknown>, key = secret) =>
    new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).sign(key);
  const none = (claims: object) =>
    `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.`;
  const alice = await stack.token('alice');
  tokens = [
    alice,
    alice,
    await stack.token('bob'),
    await stack.token('root', { admin: true }),
    await sign({ sub: 'alice', exp: now - 5 }),
    await sign({ sub: 'alice', exp: now + 600 }, new TextEncoder().encode('not-the-secret-at-all')),
    await sign({ sub: 'alice' }),
    await sign({ exp: now + 600 }),
    await sign({ sub: '', exp: now + 600 }),
    none({ sub: 'alice', exp: now + 600, scope: 'uploads:admin' }),
    `${alice.slice(0, -4)}AAAA`,
    'garbage',
    '',
    // sub rules: a lone surrogate (stored as U+FFFD it would name another principal), controls, too long.
    await stack.token('eve\uD800'),
    await stack.token('\uDC00alice'),
    await stack.token('alice\u0000'),
    await stack.token('alice\n'),
    await stack.token('x'.repeat(257)),
    await sign({ sub: ['alice'], exp: now + 600 }),
    // A different, well-formed principal: it must never reach eve\uD800's or anyone else's uploads.
    await stack.token('eve\uFFFD'),
  ];
  const a = apiClient(stack.apiUrl, alice);
  const open = (await a.create({ fileName: 'target.bin', size: 3 * MiB })).body.upload;
  const urls = (await a.partUrls(open.id, { partNumbers: [1] })).body.urls;
  const put = await putPart(urls[0]!, bytesOf(MiB));
  await a.record(open.id, [{ partNumber: 1, etag: put.etag! }]);
  const single = (await a.create({ fileName: 's.bin', size: 10 })).body.upload;
  const bob = (await apiClient(stack.apiUrl, await stack.token('bob')).create({ fileName: 'b.bin', size: 10 })).body
    .upload;
  const append = (await a.create({ fileName: 'a.log', mode: 'append' })).body.upload;
  const done = (await a.create({ fileName: 'empty.bin', size: 0 })).body.upload;
  ids = { open: open.id, single: single.id, bob: bob.id, append: append.id, done: done.id };
});

afterAll(() => {
  snapshotDb?.close();
  return testStack?.stop();
});

/** Everything observable about the store: rejected requests must leave it exactly as it was. */
/**
 * Everything the store holds, read straight from its SQLite file on a second, read-only connection:
 * two queries however many uploads the run has made (the store's own list and listParts per upload
 * made each of the ~100,000 requests cost a thousand reads once 0-byte creates piled up).
 */
function snapshot(): string {
  snapshotDb ??= new DatabaseSync(join(testStack!.dataDir, 'uploads.sqlite'), { readOnly: true });
  const uploads = snapshotDb.prepare('SELECT * FROM uploads ORDER BY id').all();
  const parts = snapshotDb.prepare('SELECT * FROM parts ORDER BY upload_id, part_number').all();
  return JSON.stringify({ uploads, parts });
}
let snapshotDb: DatabaseSync | undefined;

// ---- generators ---------------------------------------------------------------------------

const hostileString = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary' }),
  fc.constantFrom(
    '../../etc/passwd',
    '..\\..\\boot.ini',
    'a/../../b',
    '\u0000\u0001\u001f',
    '*',
    '?',
    'con',
    '𝕏'.repeat(100),
    '\u202e.exe',
    ' ',
  ),
  fc.string({ minLength: 256, maxLength: 300 }),
);
const hostileNumber = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.constantFrom(
    -1,
    0,
    1.5,
    Number.MAX_SAFE_INTEGER,
    Number.MAX_SAFE_INTEGER + 2,
    1e308,
    -0,
    10_001,
    5 * 1024 ** 3 + 1,
  ),
  fc.bigInt().map(String),
);
const anyJson = fc.jsonValue({ maxDepth: 3 });
const field = fc.oneof(hostileString, hostileNumber, anyJson, fc.constant(null), fc.boolean());
const maybe = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined, freq: 3 });

const createBody = fc.record(
  {
    fileName: fc.oneof(hostileString, field),
    size: maybe(fc.oneof(hostileNumber, field)),
    maxSize: maybe(hostileNumber),
    contentType: maybe(
      fc.oneof(
        hostileString,
        fc.constantFrom('image/png', 'text/html', 'video/mp4', 'image/svg+xml', 'IMAGE/SVG+XML; charset=utf-8'),
      ),
    ),
    partSize: maybe(hostileNumber),
    metadata: maybe(fc.oneof(fc.dictionary(hostileString, field, { maxKeys: 12 }), field)),
    crc64: maybe(fc.oneof(hostileString, hostileNumber.map(String))),
    storageClass: maybe(fc.oneof(hostileString, fc.constantFrom('STANDARD', 'ARCHIVE', 'standard', 'GLACIER'))),
    cacheControl: maybe(fc.oneof(hostileString, fc.constant('x'.repeat(1025)))),
    contentDisposition: maybe(fc.oneof(hostileString, fc.constantFrom('attachment', 'inline; filename="é"'))),
    contentLanguage: maybe(hostileString),
    expires: maybe(
      fc.oneof(hostileString, fc.constantFrom('Tue, 01 Dec 2026 00:00:00 GMT', 'Mon, 01 Dec 2026 00:00:00 GMT')),
    ),
    // A configured profile, names an object's prototype has, and anything else.
    profile: maybe(fc.oneof(fc.constantFrom('avatars', '__proto__', 'constructor', 'toString', 'AVATARS'), field)),
    presign: maybe(fc.oneof(hostileNumber, fc.constantFrom(0, 1, 1000, 1001), field)),
    dedupe: maybe(fc.oneof(fc.constant(true), field)),
    mode: maybe(fc.oneof(fc.constant('append'), field)),
    extra: maybe(field),
  },
  { requiredKeys: [] },
);
const batchBody = fc.record(
  {
    uploads: fc.oneof(
      fc.array(fc.oneof(createBody, field), { maxLength: 4 }),
      fc.constant([]),
      fc.constant(Array.from({ length: 101 }, (_, i) => ({ fileName: `f${i}.bin`, size: 1 }))),
      field,
    ),
    extra: maybe(field),
  },
  { requiredKeys: [] },
);
/** part-urls `parts[]`: numbers with Content-MD5s, well-formed or not. */
const md5Parts = fc.oneof(
  fc.array(
    fc.record(
      {
        partNumber: fc.oneof(fc.integer({ min: -2, max: 12_000 }), field),
        md5: fc.oneof(
          fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => Buffer.from(b).toString('base64')),
          fc.uint8Array({ maxLength: 20 }).map((b) => Buffer.from(b).toString('base64')),
          hostileString,
        ),
        extra: maybe(field),
      },
      { requiredKeys: [] },
    ),
    { maxLength: 5 },
  ),
  field,
);
const partNumbers = fc.oneof(
  fc.array(hostileNumber, { maxLength: 20 }),
  fc.constant(Array.from({ length: 10_001 }, (_, i) => i + 1)),
  fc.array(fc.integer({ min: 1, max: 4 }), { maxLength: 4 }),
  field,
);
const partsArray = fc.oneof(
  fc.array(
    fc.record(
      {
        partNumber: fc.oneof(fc.integer({ min: -2, max: 12_000 }), field),
        etag: fc.oneof(
          fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => `"${Buffer.from(b).toString('hex')}"`),
          hostileString,
        ),
        size: maybe(hostileNumber),
        crc64: maybe(hostileString),
      },
      { requiredKeys: [] },
    ),
    { maxLength: 5 },
  ),
  fc.constant(Array.from({ length: 1001 }, (_, i) => ({ partNumber: i + 1, etag: '"a"' }))),
  // What completeBody allows at its largest (~2 MiB): over the 1 MiB of other routes, within complete's 3 MiB.
  fc.constant(
    Array.from({ length: 10_000 }, (_, i) => ({
      partNumber: i + 1,
      etag: `"${'f'.repeat(126)}"`,
      size: Number.MAX_SAFE_INTEGER,
      crc64: '18446744073709551615',
    })),
  ),
  field,
);

/** Idempotency-Key values: the malformed (empty, 256 chars, controls, non-ASCII) and a few good ones, reused. */
const idempotencyKey = fc.oneof(
  hostileString,
  fc.constantFrom('', ' ', 'x'.repeat(256), 'a\tb', 'a\nb', 'ключ', '\u0000', 'k\u007f', 'key-1', 'key-2', '~'),
  fc.string({
    unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
    minLength: 1,
    maxLength: 255,
  }),
);

const rawBody = (json: fc.Arbitrary<unknown>) =>
  fc.oneof(
    { weight: 6, arbitrary: json.map((v) => JSON.stringify(v)) },
    { weight: 2, arbitrary: fc.string() },
    { weight: 1, arbitrary: fc.constantFrom('{', '{"fileName":', 'null', '[]', '"x"', '\u0000', '{"a":1}{"b":2}') },
    { weight: 1, arbitrary: fc.constant(`{"fileName":"${'x'.repeat(1024 * 1024 + 1)}"}`) },
    { weight: 1, arbitrary: fc.constant(undefined) },
  );

const idArb = () =>
  fc.oneof(
    fc.constantFrom(
      ids.open,
      ids.single,
      ids.bob,
      ids.append,
      ids.done,
      'upl_00000000000000000000000000',
      'upl_',
      '..%2F..%2Fetc',
      'upl_AAAAAAAAAAAAAAAAAAAAAAAAAA',
      '%ZZ',
      '%E0%A4',
      `${ids.open}%`,
      'upl_\uD800',
    ),
    hostileString,
  );

interface RouteCase {
  fn: string;
  method: string;
  path: string;
  body?: () => fc.Arbitrary<unknown>;
  query?: () => fc.Arbitrary<Record<string, string>>;
  /** Extra request headers (lowercased names), generated like the rest. */
  headers?: () => fc.Arbitrary<Record<string, string>>;
  /** The contract lets these change state even when they answer 4xx (complete merges the ledger first). */
  mayChangeOnReject?: boolean;
}

const CASES: RouteCase[] = [
  {
    fn: 'create-upload',
    method: 'POST',
    path: '/v1/uploads',
    // Some bodies are valid, so the key itself is what is judged (and replayed, or refused as
    // reused). 0-byte files are born completed: they use no quota the later tests need.
    body: () => fc.oneof(createBody, fc.record({ fileName: fc.constantFrom('k.bin', 'j.bin'), size: fc.constant(0) })),
    headers: () => fc.record({ 'idempotency-key': idempotencyKey }, { requiredKeys: [] }),
  },
  {
    fn: 'create-batch',
    method: 'POST',
    path: '/v1/uploads/batch',
    body: () => batchBody,
    headers: () => fc.record({ 'idempotency-key': idempotencyKey }, { requiredKeys: [] }),
  },
  {
    fn: 'complete-batch',
    method: 'POST',
    path: '/v1/uploads/batch-complete',
    body: () =>
      fc.record(
        { ids: fc.oneof(fc.array(idArb(), { maxLength: 4 }), fc.constant([ids.open, ids.open]), field) },
        { requiredKeys: [] },
      ),
  },
  { fn: 'get-upload', method: 'GET', path: '/v1/uploads/{id}' },
  {
    fn: 'compose-upload',
    method: 'POST',
    path: '/v1/uploads/compose',
    body: () =>
      fc.record(
        {
          fileName: fc.oneof(hostileString, field),
          sources: fc.oneof(
            fc.array(
              fc.record(
                {
                  uploadId: fc.oneof(idArb(), field),
                  range: maybe(fc.oneof(fc.record({ start: hostileNumber, end: hostileNumber }), field)),
                  extra: maybe(field),
                },
                { requiredKeys: ['uploadId'] },
              ),
              { maxLength: 4 },
            ),
            fc.constant(Array.from({ length: 1001 }, () => ({ uploadId: ids.done }))),
            field,
          ),
          contentType: maybe(fc.oneof(hostileString, fc.constantFrom('image/png', 'text/html'))),
          metadata: maybe(fc.oneof(fc.dictionary(hostileString, field, { maxKeys: 12 }), field)),
          size: maybe(hostileNumber),
          extra: maybe(field),
        },
        { requiredKeys: [] },
      ),
    headers: () => fc.record({ 'idempotency-key': idempotencyKey }, { requiredKeys: [] }),
  },
  {
    fn: 'append-url',
    method: 'POST',
    path: '/v1/uploads/{id}/append-url',
    body: () =>
      fc.record(
        { position: fc.oneof(hostileNumber, field), size: fc.oneof(hostileNumber, field), extra: maybe(field) },
        {
          requiredKeys: [],
        },
      ),
  },
  {
    fn: 'part-urls',
    method: 'POST',
    path: '/v1/uploads/{id}/part-urls',
    body: () =>
      fc.record(
        {
          partNumbers,
          parts: maybe(md5Parts),
          finalPartSize: maybe(hostileNumber),
          trafficLimit: maybe(fc.oneof(hostileNumber, fc.constantFrom(819_199, 819_200, 838_860_801))),
          extra: maybe(field),
        },
        { requiredKeys: [] },
      ),
  },
  {
    fn: 'record-parts',
    method: 'PUT',
    path: '/v1/uploads/{id}/parts',
    body: () => fc.record({ parts: partsArray, extra: maybe(field) }, { requiredKeys: [] }),
  },
  {
    fn: 'complete-upload',
    method: 'POST',
    path: '/v1/uploads/{id}/complete',
    body: () => fc.oneof(fc.record({ parts: partsArray }, { requiredKeys: [] }), field),
    mayChangeOnReject: true,
  },
  { fn: 'abort-upload', method: 'DELETE', path: '/v1/uploads/{id}' },
  {
    fn: 'credentials',
    method: 'POST',
    path: '/v1/uploads/{id}/credentials',
    body: () => fc.oneof(fc.constant(undefined), field),
  },
  {
    fn: 'admin-list-uploads',
    method: 'GET',
    path: '/v1/admin/uploads',
    query: () =>
      fc.record(
        {
          state: fc.oneof(hostileString, fc.constantFrom('open', 'completed')),
          owner: hostileString,
          createdBefore: hostileString,
          limit: fc.oneof(hostileNumber.map(String), hostileString),
          cursor: hostileString,
        },
        { requiredKeys: [] },
      ),
  },
  { fn: 'admin-abort-upload', method: 'DELETE', path: '/v1/admin/uploads/{id}' },
  {
    fn: 'admin-sweep',
    method: 'POST',
    path: '/v1/admin/sweep',
    body: () =>
      fc.record(
        { olderThanSeconds: fc.oneof(hostileNumber, field), dryRun: fc.oneof(fc.constant(true), field) },
        { requiredKeys: [] },
      ),
  },
  {
    fn: 'admin-quota-repair',
    method: 'POST',
    path: '/v1/admin/quota-repair',
    body: () => fc.record({ owner: fc.oneof(hostileString, field), extra: maybe(field) }, { requiredKeys: [] }),
  },
  {
    fn: 'admin-list-events',
    method: 'GET',
    path: '/v1/admin/events',
    query: () =>
      fc.record(
        {
          state: fc.oneof(hostileString, fc.constantFrom('pending', 'delivered', 'failed')),
          limit: fc.oneof(hostileNumber.map(String), hostileString),
          cursor: hostileString,
        },
        { requiredKeys: [] },
      ),
  },
  {
    fn: 'admin-redeliver-event',
    method: 'POST',
    path: '/v1/admin/events/{id}/redeliver',
    body: () => fc.oneof(fc.constant(undefined), field),
  },
  { fn: 'openapi', method: 'GET', path: '/v1/openapi.json' },
];

function event(
  c: RouteCase,
  token: string,
  id: string,
  body: string | undefined,
  query: Record<string, string> | undefined,
  extra: Record<string, string> = {},
): APIGatewayProxyEventV2 {
  // The raw path cannot carry a lone surrogate (a gateway decodes it to U+FFFD); pathParameters can.
  const path = c.path.replace('{id}', encodeURIComponent(id.toWellFormed()));
  const headers: Record<string, string> = { 'content-type': 'application/json', ...extra };
  if (token) headers.authorization = `Bearer ${token}`;
  return {
    version: '2.0',
    routeKey: `${c.method} ${c.path}`,
    rawPath: path,
    rawQueryString: '',
    headers,
    queryStringParameters: query,
    pathParameters: c.path.includes('{id}') ? { id } : undefined,
    body,
    isBase64Encoded: false,
    requestContext: {
      http: { method: c.method, path, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'fc' },
      requestId: 'fc',
      routeKey: c.path,
    } as APIGatewayProxyEventV2['requestContext'],
  };
}

describe('hostile input: every route, thousands of generated requests', () => {
  for (const c of CASES) {
    it(`${c.method} ${c.path}`, async () => {
      if (!ROUTES.some((r) => r.fn === c.fn)) return expect.fail(`route ${c.fn} is not in local/routes.ts`);
      const handler = (await loadHandler(c.fn)) as unknown as Handler;
      // The fixed uploads must stay usable for the whole run: aborting them is not a rejection.
      const safeAbort = c.fn.includes('abort');
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom(...tokens),
          safeAbort ? fc.oneof(fc.constantFrom(ids.bob, 'upl_00000000000000000000000000'), hostileString) : idArb(),
          c.body ? rawBody(c.body()) : fc.constant(undefined),
          c.query ? c.query() : fc.constant(undefined),
          c.headers ? c.headers() : fc.constant({}),
          async (token, id, body, query, headers) => {
            if (safeAbort && token === tokens[3] && id === ids.bob) return; // the admin may legitimately abort it
            const before = snapshot();
            const res = await handler(event(c, token, id, body, query, headers), ctx);
            expect(res.statusCode, res.body).toBeLessThan(500);
            if (res.statusCode >= 400) {
              const parsed = JSON.parse(res.body) as { error: { code: string; message: string; details: object } };
              expect(CODES.has(parsed.error.code), res.body).toBe(true);
              expect(typeof parsed.error.message).toBe('string');
              expect(typeof parsed.error.details).toBe('object');
              expect(res.body).not.toMatch(/at .*\.ts:\d+|<Error>/);
              if (!c.mayChangeOnReject) expect(snapshot()).toBe(before);
            }
            // A batch answers 200 with per-item errors: those too are the contract's, never a 5xx.
            const results = res.statusCode === 200 ? (JSON.parse(res.body) as { results?: unknown }).results : null;
            for (const r of Array.isArray(results) ? (results as { error?: { code: string } }[]) : []) {
              if (r.error) expect(CODES.has(r.error.code) && !SERVER_FAULTS.has(r.error.code), res.body).toBe(true);
            }
          },
        ),
        { numRuns: RUNS },
      );
    }, 240_000);
  }
});

describe('tampered presigned URLs', () => {
  it('COS refuses any URL whose signed parts were altered', async () => {
    const a = apiClient(stack.apiUrl, tokens[0]!);
    const up = (await a.create({ fileName: 'tamper.bin', size: 2 * MiB })).body.upload;
    const url = (await a.partUrls(up.id, { partNumbers: [1] })).body.urls[0]!;
    const body = bytesOf(MiB, 5);
    const u = new URL(url.url);
    const signed = [...u.searchParams.keys()].filter((k) => k !== 'q-signature' && k !== 'q-sign-algorithm');
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.record({
            where: fc.constant('param' as const),
            name: fc.constantFrom(...signed, 'q-signature'),
            value: fc.string({ minLength: 1, maxLength: 40 }),
          }),
          fc.record({
            where: fc.constant('path' as const),
            name: fc.constant(''),
            value: fc.constantFrom('/other.bin', '/../x', '%2e%2e', 'A'),
          }),
        ),
        async (t) => {
          const bad = new URL(url.url);
          if (t.where === 'param') {
            if (bad.searchParams.get(t.name) === t.value) return;
            bad.searchParams.set(t.name, t.value);
          } else bad.pathname += t.value;
          const res = await fetch(bad, { method: 'PUT', headers: url.headers, body });
          await res.arrayBuffer();
          expect([400, 403, 404]).toContain(res.status);
        },
      ),
      { numRuns: Math.min(RUNS, 300) },
    );
    // The untouched URL still works: the refusals above were about the tampering.
    expect((await putPart(url, body)).status).toBe(200);
  });
});

describe('malformed paths over HTTP (the local API server)', () => {
  it('malformed percent-encoding in a path id is a 404 contract body, never a 500', async () => {
    const ids = ['%ZZ', '%', '%E0%A4', '%C0%AF', '%uD800', '%ED%A0%80', 'upl_%', '%%41'];
    const shapes = [
      ['GET', '/v1/uploads/{id}'],
      ['DELETE', '/v1/uploads/{id}'],
      ['POST', '/v1/uploads/{id}/part-urls'],
      ['PUT', '/v1/uploads/{id}/parts'],
      ['POST', '/v1/uploads/{id}/complete'],
      ['POST', '/v1/uploads/{id}/credentials'],
      ['POST', '/v1/uploads/{id}/download-url'],
      ['POST', '/v1/uploads/{id}/append-url'],
      ['DELETE', '/v1/admin/uploads/{id}'],
      ['POST', '/v1/admin/events/{id}/redeliver'],
      ['GET', '/v1/%ZZ'],
    ] as const;
    for (const [method, path] of shapes) {
      for (const id of ids) {
        const res = await fetch(`${stack.apiUrl}${path.replace('{id}', id)}`, {
          method,
          headers: { authorization: `Bearer ${tokens[3]}`, 'content-type': 'application/json' },
          body: method === 'GET' || method === 'DELETE' ? undefined : '{}',
        });
        const text = await res.text();
        expect(res.status, `${method} ${path} ${id}: ${text}`).toBe(404);
        expect((JSON.parse(text) as { error: { code: string } }).error.code).toBe('NOT_FOUND');
      }
    }
  });
});

describe('content types', () => {
  it('image/* does not admit image/svg+xml (a script-capable document when served)', async () => {
    const a = apiClient(stack.apiUrl, await stack.token('svg-tester'));
    for (const contentType of ['image/svg+xml', 'Image/SVG+XML', 'image/svg+xml; charset=utf-8']) {
      const r = await a.create({ fileName: 'x.svg', size: 10, contentType });
      expect(r.status, JSON.stringify(r.body)).toBe(415);
      expect((r.body as unknown as { error: { code: string } }).error.code).toBe('CONTENT_TYPE_NOT_ALLOWED');
    }
    expect((await a.create({ fileName: 'x.png', size: 10, contentType: 'image/png' })).status).toBe(201);
  });
});
