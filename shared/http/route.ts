import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { withLogContext } from '../log-context.ts';
import type { Logger } from '../logger.ts';
import { runtimeFor } from '../runtime/current.ts';
import type { Runtime } from '../runtime/runtime.ts';
import { type DepsFor, depsFor, type Uses } from '../runtime/uses.ts';
import type { ApiRequest, ApiResult } from './api-event.ts';
import { auth } from './auth.ts';
import { cors } from './cors.ts';
import { errorHandler } from './error-handler.ts';
import { jsonBody } from './json-body.ts';
import { requestLogger } from './request-logger.ts';
import { type Principal, type RouteEvent, routeState } from './route-event.ts';
import { parseWith, withInputPrefix } from './validate.ts';
import * as z from '../zod.ts';

export interface RouteSpec<B, P, Q, U extends Uses> {
  /** Function name, for logs. */
  name: string;
  auth: 'user' | 'admin' | 'none';
  body?: z.ZodMiniType<B>;
  params?: z.ZodMiniType<P>;
  query?: z.ZodMiniType<Q>;
  uses?: U;
  /** The JSON body limit (413 past it); default MAX_JSON_BYTES. */
  maxBodyBytes?: number;
}

export interface RouteInput<B, P, Q, U extends Uses> {
  body: B;
  params: P;
  query: Q;
  /** Present on every route with `auth` other than 'none'. */
  principal: Principal;
  /** What the use case may touch, scoped to this request. */
  deps: DepsFor<U>;
  log: Logger;
  req: ApiRequest;
}

const anything = z.unknown();
const ANONYMOUS: Principal = { sub: '', admin: false };

/**
 * One route = one middy handler: CORS (outermost, so even errors carry it) → request log →
 * errors to JSON → auth → JSON body → zod validation → `fn`. Handlers stay thin: they get
 * validated input and return a result.
 */
export function route<B = undefined, P = Record<string, never>, Q = Record<string, never>, U extends Uses = Uses>(
  spec: RouteSpec<B, P, Q, U>,
  fn: (input: RouteInput<B, P, Q, U>) => Promise<ApiResult>,
) {
  // The process's runtime, found at the first request (Lambda init has run by then; the local
  // stack installs its own before it serves).
  const runtime = (): Runtime => runtimeFor(spec.uses);
  // Use cases name fields relative to their input; which part of the request that is, the route knows.
  const origin = spec.body ? 'body' : spec.query ? 'query' : 'params';
  const base = middy<RouteEvent, ApiResult, Error, Context>()
    .use(cors())
    .use(requestLogger({ name: spec.name, logger: () => runtime().log }))
    .use(errorHandler());
  const authed =
    spec.auth === 'none'
      ? base
      : base.use(auth({ verifier: () => runtime().verifier(), admin: spec.auth === 'admin' }));
  return authed.use(jsonBody(spec.maxBodyBytes)).handler(async (event: RouteEvent) => {
    const state = routeState(event);
    const body = parseWith((spec.body ?? anything) as z.ZodMiniType<B>, state.json, 'body');
    const params = parseWith((spec.params ?? anything) as z.ZodMiniType<P>, state.req.pathParams, 'params');
    const query = parseWith((spec.query ?? anything) as z.ZodMiniType<Q>, state.req.query, 'query');
    const scope = { fn: spec.name, requestId: state.req.requestId };
    return withLogContext(scope, async () => {
      const deps = await depsFor(runtime(), spec.uses, scope);
      try {
        return await fn({
          body,
          params,
          query,
          principal: state.principal ?? ANONYMOUS,
          deps,
          log: state.log,
          req: state.req,
        });
      } catch (e) {
        throw withInputPrefix(e, origin);
      }
    });
  });
}
