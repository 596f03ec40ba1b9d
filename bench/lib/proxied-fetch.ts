/**
 * A fetch whose connections to given loopback ports go to other ports instead (the latency
 * proxies), URLs untouched — so the Host header, which COS signatures bind, stays what was signed.
 * It also counts requests: API calls by route, and everything else (part PUTs).
 */
import { Agent, buildConnector, fetch as undiciFetch } from 'undici';
import type { FetchLike } from '../../client/upload.ts';

export interface ProxiedFetch {
  fetch: FetchLike;
  /** API calls by `METHOD /path` with ids as `{id}`. */
  api: Map<string, number>;
  apiTotal(): number;
  /** Requests to anything but the API (part PUTs to COS). */
  cos(): number;
  reset(): void;
  close(): Promise<void>;
}

/** `via` maps a target port to the proxy port its connections should use. */
export function proxiedFetch(apiUrl: string, via: Map<number, number>): ProxiedFetch {
  const connect = buildConnector({});
  const agent = new Agent({
    connect: (opts, cb) => {
      const port = via.get(Number(opts.port));
      connect(port ? { ...opts, hostname: '127.0.0.1', port: String(port) } : opts, cb);
    },
  });
  const api = new Map<string, number>();
  let cos = 0;
  const fetchLike = (async (input: string, init?: RequestInit) => {
    if (input.startsWith(apiUrl)) {
      const route = `${init?.method ?? 'GET'} ${new URL(input).pathname.replace(/\/v1\/uploads\/upl_[^/]+/, '/v1/uploads/{id}')}`;
      api.set(route, (api.get(route) ?? 0) + 1);
    } else cos++;
    return undiciFetch(input, { ...(init as object), dispatcher: agent } as Parameters<typeof undiciFetch>[1]);
  }) as unknown as FetchLike;
  return {
    fetch: fetchLike,
    api,
    apiTotal: () => [...api.values()].reduce((a, b) => a + b, 0),
    cos: () => cos,
    reset: () => {
      api.clear();
      cos = 0;
    },
    close: () => agent.close(),
  };
}
