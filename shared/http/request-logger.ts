import { randomUUID } from 'node:crypto';
import type { MiddlewareObj } from '@middy/core';
import type { Logger } from '../logger.ts';
import { type ApiResult, normalizeEvent } from './api-event.ts';
import type { RouteEvent, RouteRequest } from './route-event.ts';

/**
 * Normalises the event into `event.route`, gives it a request id (API Gateway's, or ours) and
 * writes one access line per request. Logs method, route and status — never headers or bodies,
 * which carry tokens and presigned URLs.
 */
export const requestLogger = (opts: { name: string; logger: () => Logger }): MiddlewareObj<RouteEvent, ApiResult> => {
  // The runtime's logger, looked up per request: it is built at first use, from the parsed config.
  const logger = opts.logger;
  const done = (request: RouteRequest) => {
    const state = request.event.route;
    const res = request.response;
    if (!state || !res) return;
    res.headers = { ...res.headers, 'x-request-id': state.req.requestId };
    state.log.info('request', {
      method: state.req.method,
      path: state.req.path,
      status: res.statusCode,
      ms: Date.now() - state.startedAt,
      sub: state.principal?.sub,
    });
  };
  return {
    name: 'request-logger',
    before: (request) => {
      const req = normalizeEvent(request.event);
      if (!req.requestId) req.requestId = req.headers['x-request-id']?.slice(0, 128) || randomUUID();
      request.event.route = {
        req,
        log: logger().child({ fn: opts.name, requestId: req.requestId }),
        startedAt: Date.now(),
      };
    },
    after: done,
    onError: done,
  };
};
