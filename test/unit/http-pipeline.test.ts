import type { APIGatewayProxyEvent, APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../shared/config.ts';
import { installRuntime } from '../../shared/runtime/current.ts';
import { createRuntime } from '../../shared/runtime/runtime.ts';

// Real API Gateway events through the real middy pipeline; none of these reach a port.
const SECRET = 'unit-test-secret-at-least-16';
let create: (e: unknown, c: Context) => Promise<{ statusCode: number; headers?: Record<string, string>; body: string }>;
let healthz: typeof create;

beforeAll(async () => {
  const config = parseConfig({
    AUTH_JWT_SECRET: SECRET,
    COS_SECRET_ID: 'id',
    COS_SECRET_KEY: 'key',
    UPLOADS_STORE: 'sqlite',
    LOG_LEVEL: 'silent',
  });
  // Nothing here reaches a port: the runtime's store is never opened.
  installRuntime(createRuntime(config));
  create = (await import('../../functions/create-upload.ts')).handler as unknown as typeof create;
  healthz = (await import('../../functions/healthz.ts')).handler as unknown as typeof create;
});

afterAll(() => installRuntime(undefined));

const ctx = {} as Context;
const v2 = (
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: string,
): APIGatewayProxyEventV2 => ({
  version: '2.0',
  routeKey: `${method} ${path}`,
  rawPath: path,
  rawQueryString: '',
  headers,
  body,
  isBase64Encoded: false,
  requestContext: {
    http: { method, path, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 't' },
    requestId: 'req-1',
  } as APIGatewayProxyEventV2['requestContext'],
});
const token = (claims: Record<string, unknown> = {}, exp: string | number = '1h', secret = SECRET) =>
  new SignJWT({ scope: 'uploads:write', ...claims })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject('alice')
    .setExpirationTime(exp)
    .sign(new TextEncoder().encode(secret));
const errorOf = (r: { body: string }) =>
  (JSON.parse(r.body) as { error: { code: string; message: string; details: Record<string, unknown> } }).error;

describe('route pipeline', () => {
  it('healthz answers without auth, with CORS and a request id', async () => {
    const r = await healthz(v2('GET', '/healthz'), ctx);
    expect(r.statusCode).toBe(200);
    expect(JSON.parse(r.body)).toEqual({ ok: true });
    expect(r.headers?.['access-control-allow-origin']).toBe('*');
    expect(r.headers?.['x-request-id']).toBe('req-1');
  });

  it('answers OPTIONS preflight with 204 and CORS headers', async () => {
    const r = await create(v2('OPTIONS', '/v1/uploads'), ctx);
    expect(r.statusCode).toBe(204);
    expect(r.headers?.['access-control-allow-headers']).toContain('authorization');
  });

  it.each([
    ['no header', {}],
    ['not bearer', { authorization: 'Basic abc' }],
    ['garbage', { authorization: 'Bearer not.a.jwt' }],
  ])('401 UNAUTHORIZED: %s', async (_name, headers) => {
    const r = await create(v2('POST', '/v1/uploads', headers, '{}'), ctx);
    expect(r.statusCode).toBe(401);
    expect(errorOf(r).code).toBe('UNAUTHORIZED');
  });

  it('401 for expired, wrongly signed and alg:none tokens', async () => {
    const expired = await token({}, Math.floor(Date.now() / 1000) - 10);
    const wrong = await token({}, '1h', 'another-secret-of-16-chars');
    const header = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url');
    const payload = Buffer.from(JSON.stringify({ sub: 'alice', exp: Math.floor(Date.now() / 1000) + 60 })).toString(
      'base64url',
    );
    for (const t of [expired, wrong, `${header}.${payload}.`]) {
      const r = await create(v2('POST', '/v1/uploads', { authorization: `Bearer ${t}` }, '{}'), ctx);
      expect(r.statusCode).toBe(401);
    }
  });

  it('400 MALFORMED_JSON for a body that is not JSON', async () => {
    const r = await create(
      v2('POST', '/v1/uploads', { authorization: `Bearer ${await token()}` }, '{"fileName":'),
      ctx,
    );
    expect(r.statusCode).toBe(400);
    expect(errorOf(r).code).toBe('MALFORMED_JSON');
  });

  it('400 VALIDATION_FAILED lists each issue with its path', async () => {
    const body = JSON.stringify({ fileName: '', size: -1, metadata: { 'BAD KEY': 'x' }, extra: true });
    const r = await create(v2('POST', '/v1/uploads', { authorization: `Bearer ${await token()}` }, body), ctx);
    expect(r.statusCode).toBe(400);
    const err = errorOf(r);
    expect(err.code).toBe('VALIDATION_FAILED');
    const paths = (err.details.issues as { path: (string | number)[] }[]).map((i) => i.path.join('.'));
    expect(paths).toEqual(expect.arrayContaining(['body.fileName', 'body.size']));
    expect(paths.some((p) => p.startsWith('body.metadata'))).toBe(true);
  });

  it('accepts REST API (v1) events too', async () => {
    const e = {
      httpMethod: 'GET',
      path: '/healthz',
      headers: {},
      multiValueHeaders: {},
      queryStringParameters: null,
      multiValueQueryStringParameters: null,
      pathParameters: null,
      stageVariables: null,
      body: null,
      isBase64Encoded: false,
      resource: '/healthz',
      requestContext: { requestId: 'rest-1' },
    } as unknown as APIGatewayProxyEvent;
    const r = await healthz(e, ctx);
    expect(r.statusCode).toBe(200);
    expect(r.headers?.['x-request-id']).toBe('rest-1');
  });

  it('413 PAYLOAD_TOO_LARGE for a body over 1 MiB, never a 500', async () => {
    const big = JSON.stringify({ fileName: 'x'.repeat(1024 * 1024 + 10) });
    const r = await create(v2('POST', '/v1/uploads', { authorization: `Bearer ${await token()}` }, big), ctx);
    expect(r.statusCode).toBe(413);
    expect(errorOf(r).code).toBe('PAYLOAD_TOO_LARGE');
  });
});
