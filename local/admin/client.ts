import { ApiFailure, UsageError } from './cli-errors.ts';
import type { Ctx } from './ctx.ts';

/** A call to the admin API: the success body, or an ApiFailure holding the contract error. */
export type Call = <T>(method: string, path: string, body?: unknown) => Promise<T>;

export function client(io: Ctx): Call {
  const base = (io.target.api || io.env.UPLOADS_API_URL || 'http://127.0.0.1:8787').replace(/\/+$/, '');
  if (!/^https?:\/\/[^/]/i.test(base)) throw new UsageError(`--api must be an http(s) URL, got ${base}`);
  const token = io.target.token || io.env.UPLOADS_TOKEN;
  if (!token) {
    throw new UsageError('no token: pass --token or set UPLOADS_TOKEN (an admin token: npm run token -- --admin)');
  }
  const v1 = /\/v1$/i.test(base) ? ` (drop /v1 from the API URL: --api ${base.slice(0, -3)})` : '';
  return async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    let res: Response;
    try {
      res = await fetch(`${base}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (e) {
      const message = `cannot reach ${base}: ${e instanceof Error ? (e.cause instanceof Error ? e.cause.message : e.message) : String(e)}`;
      throw new ApiFailure({ error: { code: 'UNREACHABLE', message, details: {} } });
    }
    const text = await res.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : null;
    } catch {
      json = { error: { code: 'BAD_RESPONSE', message: `HTTP ${res.status}: not JSON`, details: {} } };
    }
    if (res.status === 404 && v1) {
      throw new ApiFailure({
        error: { code: 'NOT_FOUND', message: `${method} ${base}${path}: 404${v1}`, details: {} },
      });
    }
    if (!res.ok)
      throw new ApiFailure(json ?? { error: { code: 'HTTP_ERROR', message: `HTTP ${res.status}`, details: {} } });
    return json as T;
  };
}
