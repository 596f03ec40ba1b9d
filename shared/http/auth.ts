import type { MiddlewareObj } from '@middy/core';
import { forbidden, unauthorized } from '../errors.ts';
import type { ApiResult } from './api-event.ts';
import { type RouteEvent, routeState } from './route-event.ts';
import type { TokenVerifier } from './token-verifier.ts';

/** Bearer-token authentication; `admin: true` also requires the `uploads:admin` scope (403). */
export const auth = (opts: {
  verifier: () => TokenVerifier;
  admin?: boolean;
}): MiddlewareObj<RouteEvent, ApiResult> => ({
  name: 'auth',
  before: async (request) => {
    const state = routeState(request.event);
    const header = state.req.headers.authorization ?? '';
    const match = /^Bearer\s+(\S+)$/i.exec(header.trim());
    if (!match?.[1]) throw unauthorized('missing bearer token');
    state.principal = await opts.verifier()(match[1]);
    if (opts.admin && !state.principal.admin) throw forbidden();
  },
});
