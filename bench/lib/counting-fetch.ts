import type { FetchLike } from '../../client/upload.ts';

export interface RouteCount {
  calls: number;
  /** Sum over this route's calls of `units()` after minus before. */
  units: number;
  /** Another API call was in flight at some point, so `units` may include some of its writes. */
  overlapped: boolean;
}

export interface CallCounts {
  /** Keyed `POST /v1/uploads/{id}/part-urls`, ids replaced by `{id}`. */
  api: Map<string, RouteCount>;
  cos: number;
  apiTotal(): number;
}

/**
 * A fetch for the client that counts calls to the API by route (everything else counts as
 * COS) and attributes to each route the change of `units` (e.g. DynamoDB write units) across
 * its calls.
 */
export function countingFetch(apiUrl: string, units: () => number = () => 0): { fetch: FetchLike; counts: CallCounts } {
  const api = new Map<string, RouteCount>();
  const counts: CallCounts = { api, cos: 0, apiTotal: () => [...api.values()].reduce((a, b) => a + b.calls, 0) };
  let inFlight = 0;
  const fetchLike: FetchLike = async (input, init) => {
    if (!input.startsWith(apiUrl)) {
      counts.cos++;
      return fetch(input, init);
    }
    const route = `${init?.method ?? 'GET'} ${new URL(input).pathname.replace(/\/v1\/uploads\/[^/]+/, '/v1/uploads/{id}')}`;
    const c = api.get(route) ?? { calls: 0, units: 0, overlapped: false };
    api.set(route, c);
    c.calls++;
    const before = units();
    if (++inFlight > 1) c.overlapped = true;
    try {
      const res = await fetch(input, init);
      // The handler has finished its writes once the body is complete.
      const body = await res.arrayBuffer();
      return new Response(body, { status: res.status, statusText: res.statusText, headers: res.headers });
    } finally {
      if (inFlight-- > 1) c.overlapped = true;
      c.units += units() - before;
    }
  };
  return { fetch: fetchLike, counts };
}
