import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEventV2, APIGatewayProxyResult, Context } from 'aws-lambda';
import { loadHandler, matchRoute, type RouteEntry } from './routes.ts';

/** API Gateway's own payload limit: bigger requests never reach a Lambda. */
const MAX_BODY_BYTES = 10 * 1024 * 1024;

export interface StaticAsset {
  contentType: string;
  body: () => Promise<string>;
}

export interface ApiServerOptions {
  port: number;
  routes: readonly RouteEntry[];
  /** Extra GET paths served as-is (the web page). */
  assets?: Record<string, StaticAsset>;
}

/**
 * The local stand-in for API Gateway HTTP API: turns each request into a v2 event and calls the
 * same `handler` Lambda would. Unknown routes go to the `not-found` function, as the deployed
 * `$default` route does.
 */
export async function startApiServer(
  opts: ApiServerOptions,
): Promise<{ server: Server; url: string; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    handle(req, res, opts).catch((err: unknown) => {
      // The handlers never throw (middy turns errors into responses); this is the server itself failing.
      process.stderr.write(`local api: ${String(err)}\n`);
      if (!res.headersSent)
        send(res, {
          statusCode: 500,
          headers: {},
          body: '{"error":{"code":"INTERNAL","message":"internal error","details":{}}}',
        });
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    server,
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function handle(req: IncomingMessage, res: ServerResponse, opts: ApiServerOptions): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  const method = (req.method ?? 'GET').toUpperCase();
  const asset = method === 'GET' ? opts.assets?.[url.pathname] : undefined;
  if (asset) {
    send(res, {
      statusCode: 200,
      headers: { 'content-type': asset.contentType, 'cache-control': 'no-store' },
      body: await asset.body(),
    });
    return;
  }
  const body = await readBody(req);
  if (body === null) {
    req.resume();
    send(res, {
      statusCode: 413,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        error: {
          code: 'PAYLOAD_TOO_LARGE',
          message: `request body exceeds ${MAX_BODY_BYTES} bytes`,
          details: { limit: MAX_BODY_BYTES },
        },
      }),
    });
    return;
  }
  const matched = method === 'OPTIONS' ? null : matchRoute(opts.routes, method, url.pathname);
  const fn = matched && matched !== 'method' ? matched.entry.fn : 'not-found';
  const event = toEvent(req, url, method, body, matched && matched !== 'method' ? matched : null);
  const handler = await loadHandler(fn);
  const result = (await handler(event, lambdaContext(fn), () => undefined)) as APIGatewayProxyResult;
  send(res, result);
}

function toEvent(
  req: IncomingMessage,
  url: URL,
  method: string,
  body: Buffer,
  matched: { entry: RouteEntry; params: Record<string, string> } | null,
): APIGatewayProxyEventV2 {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers))
    if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(',') : v;
  const query: Record<string, string> = {};
  for (const [k, v] of url.searchParams) query[k] = k in query ? `${query[k]},${v}` : v;
  const routeKey = matched ? `${matched.entry.method} ${matched.entry.path}` : '$default';
  const now = Date.now();
  return {
    version: '2.0',
    routeKey,
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    headers,
    queryStringParameters: Object.keys(query).length ? query : undefined,
    pathParameters: matched && Object.keys(matched.params).length ? matched.params : undefined,
    body: body.length ? body.toString('utf8') : undefined,
    isBase64Encoded: false,
    requestContext: {
      accountId: 'local',
      apiId: 'local',
      domainName: req.headers.host ?? '127.0.0.1',
      domainPrefix: 'local',
      http: {
        method,
        path: url.pathname,
        protocol: 'HTTP/1.1',
        sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
        userAgent: req.headers['user-agent'] ?? '',
      },
      requestId: randomUUID(),
      routeKey,
      stage: '$default',
      time: new Date(now).toUTCString(),
      timeEpoch: now,
    },
  };
}

function lambdaContext(fn: string): Context {
  const deadline = Date.now() + 29_000;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: fn,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:${fn}`,
    memoryLimitInMB: '1024',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${fn}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/** The whole body, or null past the limit. */
async function readBody(req: IncomingMessage): Promise<Buffer | null> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    total += chunk.length;
    if (total > MAX_BODY_BYTES) return null;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

function send(res: ServerResponse, result: APIGatewayProxyResult): void {
  const body = result.isBase64Encoded ? Buffer.from(result.body, 'base64') : Buffer.from(result.body ?? '', 'utf8');
  const headers: Record<string, string | number> = {};
  for (const [k, v] of Object.entries(result.headers ?? {})) headers[k] = String(v);
  headers['content-length'] = body.length;
  res.writeHead(result.statusCode, headers);
  res.end(body);
}
