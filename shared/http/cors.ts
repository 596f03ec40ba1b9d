import type { MiddlewareObj } from '@middy/core';
import type { ApiResult } from './api-event.ts';
import type { RouteEvent } from './route-event.ts';

/**
 * CORS for browsers calling the API directly. Tokens travel in `Authorization`, never cookies,
 * so a wildcard origin exposes nothing a script could not already send.
 */
export const CORS_HEADERS: Readonly<Record<string, string>> = {
  'access-control-allow-origin': '*',
  'access-control-allow-methods': 'GET,POST,PUT,DELETE,OPTIONS',
  'access-control-allow-headers': 'authorization,content-type,idempotency-key,x-request-id',
  'access-control-expose-headers': 'idempotent-replayed,x-request-id',
  'access-control-max-age': '600',
};

const withCors = (res: ApiResult | null | undefined) => {
  if (res) res.headers = { ...res.headers, ...CORS_HEADERS };
};

export const cors = (): MiddlewareObj<RouteEvent, ApiResult> => ({
  name: 'cors',
  before: (request) => {
    const method = 'httpMethod' in request.event ? request.event.httpMethod : request.event.requestContext.http.method;
    // Preflight answers here: an early response skips every later middleware.
    if (method.toUpperCase() === 'OPTIONS') return { statusCode: 204, headers: { ...CORS_HEADERS }, body: '' };
    return undefined;
  },
  after: (request) => withCors(request.response),
  onError: (request) => withCors(request.response),
});
