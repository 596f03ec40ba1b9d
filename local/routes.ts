import type { Handler } from 'aws-lambda';

/** One entry per route of docs/API.md; serverless.yml declares the same table (a test checks they agree). */
export interface RouteEntry {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  path: string;
  /** File name under functions/, also the serverless function name. */
  fn: string;
}

export const ROUTES: readonly RouteEntry[] = [
  { method: 'GET', path: '/healthz', fn: 'healthz' },
  { method: 'GET', path: '/v1/openapi.json', fn: 'openapi' },
  { method: 'GET', path: '/v1/limits', fn: 'limits' },
  { method: 'POST', path: '/v1/uploads', fn: 'create-upload' },
  { method: 'POST', path: '/v1/uploads/batch', fn: 'create-batch' },
  { method: 'POST', path: '/v1/uploads/batch-complete', fn: 'complete-batch' },
  { method: 'GET', path: '/v1/uploads/{id}', fn: 'get-upload' },
  { method: 'DELETE', path: '/v1/uploads/{id}', fn: 'abort-upload' },
  { method: 'POST', path: '/v1/uploads/{id}/part-urls', fn: 'part-urls' },
  { method: 'PUT', path: '/v1/uploads/{id}/parts', fn: 'record-parts' },
  { method: 'POST', path: '/v1/uploads/{id}/complete', fn: 'complete-upload' },
  { method: 'GET', path: '/v1/admin/uploads', fn: 'admin-list-uploads' },
  { method: 'DELETE', path: '/v1/admin/uploads/{id}', fn: 'admin-abort-upload' },
  { method: 'POST', path: '/v1/admin/sweep', fn: 'admin-sweep' },
  { method: 'POST', path: '/v1/admin/quota-repair', fn: 'admin-quota-repair' },
  { method: 'POST', path: '/v1/uploads/{id}/credentials', fn: 'credentials' },
  { method: 'POST', path: '/v1/uploads/{id}/download-url', fn: 'download-url' },
];

export interface Matched {
  entry: RouteEntry;
  params: Record<string, string>;
}

const compiled = new Map<string, RegExp>();
const pattern = (path: string) => {
  let re = compiled.get(path);
  if (!re) {
    re = new RegExp(`^${path.replace(/[.]/g, '\\.').replace(/\{(\w+)\}/g, '(?<$1>[^/]+)')}$`);
    compiled.set(path, re);
  }
  return re;
};

/** `{ entry }` for a match, `'method'` when the path exists with other methods, null otherwise. */
export function matchRoute(routes: readonly RouteEntry[], method: string, path: string): Matched | 'method' | null {
  let pathMatched = false;
  for (const entry of routes) {
    const m = pattern(entry.path).exec(path);
    if (!m) continue;
    pathMatched = true;
    if (entry.method === method) {
      const params: Record<string, string> = {};
      for (const [k, v] of Object.entries(m.groups ?? {})) {
        const decoded = decodePathParam(v);
        // Malformed percent-encoding (`%ZZ`, a lone `%E0`) names nothing: 404, as an unknown path.
        if (decoded === null) return null;
        params[k] = decoded;
      }
      return { entry, params };
    }
  }
  return pathMatched ? 'method' : null;
}

function decodePathParam(v: string): string | null {
  try {
    return decodeURIComponent(v);
  } catch {
    return null;
  }
}

const cache = new Map<string, Promise<Handler>>();
/** Loads `functions/<fn>.ts` once, as Lambda would at init. */
export function loadHandler(fn: string): Promise<Handler> {
  let h = cache.get(fn);
  if (!h) {
    h = import(`../functions/${fn}.ts`).then((m: { handler: Handler }) => m.handler);
    cache.set(fn, h);
  }
  return h;
}
