import type { MiddlewareObj } from '@middy/core';
import { isUploadError } from '../errors.ts';
import { type ApiResult, json } from './api-event.ts';
import type { RouteEvent } from './route-event.ts';

/**
 * Turns any error into the contract body `{ error: { code, message, details } }`. Details are
 * exposed only below 500; a 5xx says what happened in words and nothing more (no stack, no
 * upstream XML, no secrets) — the cause goes to the log instead.
 */
export const errorHandler = (): MiddlewareObj<RouteEvent, ApiResult> => ({
  name: 'error-handler',
  onError: (request) => {
    const err = request.error;
    const log = request.event.route?.log;
    if (isUploadError(err)) {
      if (err.status >= 500) {
        log?.error('upstream failure', { code: err.code, cause: describe(err.cause) });
      }
      const details = err.status < 500 ? err.details : {};
      request.response = json(err.status, { error: { code: err.code, message: err.message, details } });
      return;
    }
    log?.error('unhandled error', { error: describe(err) });
    request.response = json(500, { error: { code: 'INTERNAL', message: 'internal error', details: {} } });
  },
});

function describe(e: unknown): unknown {
  if (e instanceof Error) return { name: e.name, message: e.message, stack: e.stack, cause: describe(e.cause) };
  return e;
}
