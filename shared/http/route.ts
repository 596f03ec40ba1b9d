import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { config } from '../config.ts';
import type { Logger } from '../logger.ts';
import type { ApiRequest, ApiResult } from './api-event.ts';
import { auth } from './auth.ts';
import { cors } from './cors.ts';
import { errorHandler } from './error-handler.ts';
import { jsonBody } from './json-body.ts';
import { requestLogger } from './request-logger.ts';
import { type Principal, type RouteEvent, routeState } from './route-event.ts';
import { createTokenVerifier, type TokenVerifier } from './token-verifier.ts';
import { parseWith } from './validate.ts';
import * as z from '../zod.ts';

export interface RouteSpec<B, P, Q> {
  /** Function name, for logs. */
  name: string;
  auth: 'user' | 'admin' | 'none';
  body?: z.ZodMiniType<B>;
  params?: z.ZodMiniType<P>;
  query?: z.ZodMiniType<Q>;
}

export interface RouteInput<B, P, Q> {
  body: B;
  params: P;
  query: Q;
  /** Present on every route with `auth` other than 'none'. */
  principal: Principal;
  log: Logger;
  req: ApiRequest;
}

let verifier: TokenVerifier | undefined;
/** Built once per process from the config (Lambda init), shared by every route. */
const defaultVerifier = (): TokenVerifier => {
  if (!verifier) {
    const c = config();
    verifier = createTokenVerifier({
      secret: c.AUTH_JWT_SECRET,
      jwksUrl: c.AUTH_JWKS_URL,
      issuer: c.AUTH_ISSUER,
      audience: c.AUTH_AUDIENCE,
    });
  }
  return verifier;
};
export const resetVerifier = () => {
  verifier = undefined;
};

const anything = z.unknown();
const ANONYMOUS: Principal = { sub: '', admin: false };

/**
 * One route = one middy handler: CORS (outermost, so even errors carry it) → request log →
 * errors to JSON → auth → JSON body → zod validation → `fn`. Handlers stay thin: they get
 * validated input and return a result.
 */
export function route<B = undefined, P = Record<string, never>, Q = Record<string, never>>(
  spec: RouteSpec<B, P, Q>,
  fn: (input: RouteInput<B, P, Q>) => Promise<ApiResult>,
) {
  const base = middy<RouteEvent, ApiResult, Error, Context>()
    .use(cors())
    .use(requestLogger({ name: spec.name }))
    .use(errorHandler());
  const authed =
    spec.auth === 'none' ? base : base.use(auth({ verifier: defaultVerifier, admin: spec.auth === 'admin' }));
  return authed.use(jsonBody()).handler(async (event: RouteEvent) => {
    const state = routeState(event);
    const body = parseWith((spec.body ?? anything) as z.ZodMiniType<B>, state.json, 'body');
    const params = parseWith((spec.params ?? anything) as z.ZodMiniType<P>, state.req.pathParams, 'params');
    const query = parseWith((spec.query ?? anything) as z.ZodMiniType<Q>, state.req.query, 'query');
    return fn({ body, params, query, principal: state.principal ?? ANONYMOUS, log: state.log, req: state.req });
  });
}
