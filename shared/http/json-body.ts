import type { MiddlewareObj } from '@middy/core';
import { malformedJson, payloadTooLarge } from '../errors.ts';
import type { ApiResult } from './api-event.ts';
import { type RouteEvent, routeState } from './route-event.ts';

/** The largest JSON body any route needs (1,000 parts with ETags and CRCs is ~150 KB). */
export const MAX_JSON_BYTES = 1024 * 1024;

/** Parses a JSON body into `route.json`; an empty body is `undefined` (routes decide if that is fine). */
export const jsonBody = (): MiddlewareObj<RouteEvent, ApiResult> => ({
  name: 'json-body',
  before: (request) => {
    const state = routeState(request.event);
    const body = state.req.body;
    if (body === null || body.trim() === '') return;
    if (Buffer.byteLength(body, 'utf8') > MAX_JSON_BYTES) throw payloadTooLarge(MAX_JSON_BYTES);
    try {
      state.json = JSON.parse(body);
    } catch {
      throw malformedJson();
    }
  },
});
