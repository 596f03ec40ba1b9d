import type { Request } from '@middy/core';
import type { Context } from 'aws-lambda';
import type { Logger } from '../logger.ts';
import type { ApiEvent, ApiRequest, ApiResult } from './api-event.ts';

/** Who called: the token's `sub` is the owner; `uploads:admin` in `scope` makes an admin. */
export interface Principal {
  sub: string;
  admin: boolean;
}

/** What the middlewares have learned about a request, carried on the event for the handler. */
export interface RouteState {
  req: ApiRequest;
  log: Logger;
  startedAt: number;
  principal?: Principal;
  /** Parsed JSON body (undefined when there was none). */
  json?: unknown;
}

export type RouteEvent = ApiEvent & { route?: RouteState };
export type RouteRequest = Request<RouteEvent, ApiResult, Error, Context>;

/** The state every middleware after `logger` can rely on. */
export function routeState(event: RouteEvent): RouteState {
  if (!event.route) throw new Error('route state missing: logger middleware must run first');
  return event.route;
}
