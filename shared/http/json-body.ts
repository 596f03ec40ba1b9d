import type { MiddlewareObj } from '@middy/core';
import { malformedJson, payloadTooLarge } from '../errors.ts';
import type { ApiResult } from './api-event.ts';
import { type RouteEvent, routeState } from './route-event.ts';

/** The largest JSON body a route takes by default (1,000 parts with ETags and CRCs is ~150 KB). */
export const MAX_JSON_BYTES = 1024 * 1024;

/**
 * Complete's limit: its schema allows 10,000 parts, each with the longest ETag (128 characters,
 * quotes escaped), a size and a CRC64 — about 2.05 MiB as compact JSON — so 3 MiB fits a maximal
 * valid body with room to spare, and stays well inside Lambda's 6 MB event (the body escaped).
 */
export const COMPLETE_MAX_JSON_BYTES = 3 * 1024 * 1024;

/**
 * Batch create's limit: 100 create bodies. The largest valid item as compact JSON is ~6.5 KB today
 * (a 255-unit fileName of control characters escaped as \uXXXX, 1.5 KB; a 255-character content
 * type; 2 KB of metadata whose values are all `"` escaped, ~4.2 KB) and grows to ~16.5 KB with the
 * five object headers of ≤ 1,024 printable characters each: 100 of those are ~1.65 MB, so 2 MiB fits
 * a maximal batch (test/integration/upload-batch.test.ts sends one) inside Lambda's 6 MB event.
 */
export const BATCH_MAX_JSON_BYTES = 2 * 1024 * 1024;

/** Parses a JSON body into `route.json`; an empty body is `undefined` (routes decide if that is fine). */
export const jsonBody = (maxBytes = MAX_JSON_BYTES): MiddlewareObj<RouteEvent, ApiResult> => ({
  name: 'json-body',
  before: (request) => {
    const state = routeState(request.event);
    const body = state.req.body;
    if (body === null || body.trim() === '') return;
    if (Buffer.byteLength(body, 'utf8') > maxBytes) throw payloadTooLarge(maxBytes);
    try {
      state.json = JSON.parse(body);
    } catch {
      throw malformedJson();
    }
  },
});
