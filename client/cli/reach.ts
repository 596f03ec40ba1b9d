import { stoppedError, throwIfStopped, UploadClientError } from '../errors.ts';
import type { FetchLike } from '../types.ts';

/** What undici's error codes mean, in the words a user expects. */
const NETWORK_WORDS: [RegExp, string][] = [
  [/ECONNREFUSED/, 'connection refused'],
  [/ECONNRESET|UND_ERR_SOCKET|other side closed/i, 'connection reset'],
  [/ENOTFOUND|EAI_AGAIN/, 'host not found'],
  [/ETIMEDOUT|UND_ERR_CONNECT_TIMEOUT|TimeoutError|timed out/i, 'timed out'],
  [/EHOSTUNREACH|ENETUNREACH/, 'host unreachable'],
  [/CERT|SSL|TLS/, 'TLS handshake failed'],
];

/** The message of an error and of every cause under it (undici hides the useful part there). */
function chain(e: unknown): string {
  const parts: string[] = [];
  for (let c: unknown = e, depth = 0; c !== undefined && c !== null && depth < 5; depth++) {
    if (c instanceof Error) {
      parts.push(`${c.name} ${c.message} ${String((c as { code?: unknown }).code ?? '')}`);
      c = c.cause;
    } else {
      parts.push(String(c));
      break;
    }
  }
  return parts.join(' | ');
}

/** The innermost cause's message: "bad port" rather than undici's "fetch failed". */
function deepestMessage(e: unknown): string {
  let c: unknown = e;
  for (let depth = 0; c instanceof Error && c.cause !== undefined && depth < 5; depth++) c = c.cause;
  return c instanceof Error ? c.message : String(c);
}

/** "connection refused", "host not found"…, or null when the error names no known network failure. */
export function networkReason(e: unknown): string | null {
  const text = chain(e);
  return NETWORK_WORDS.find(([re]) => re.test(text))?.[1] ?? null;
}

/** A short reason for a retried failure: "connection refused", "COS answered 503 SlowDown", "HTTP 503 STORE_UNAVAILABLE". */
export function retryReason(e: UploadClientError): string {
  const part = typeof e.details.partNumber === 'number' ? ` (part ${e.details.partNumber})` : '';
  if (e.code === 'NETWORK_ERROR') return `${networkReason(e) ?? e.message}${part}`;
  if (e.code === 'COS_ERROR') {
    const cosCode = typeof e.details.cosCode === 'string' ? ` ${e.details.cosCode}` : '';
    return `COS answered ${e.status ?? '?'}${cosCode}${part}`;
  }
  return `${e.status === null ? '' : `HTTP ${e.status} `}${e.code}${part}`;
}

/** 2000 → "2 s", 340 → "0.3 s". */
export function formatDelay(ms: number): string {
  return ms < 1000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 1000)} s`;
}

/** `http://h:8787/v1/` → `http://h:8787`; null when the URL does not end in /v1. */
export function withoutV1(api: string): string | null {
  const trimmed = api.replace(/\/+$/, '');
  return /\/v1$/i.test(trimmed) ? trimmed.slice(0, -3) : null;
}

/** How long {@link checkApi} may take in all before it calls the API unreachable. */
export const REACH_BUDGET_MS = 5000;

/**
 * Asks `GET {api}/healthz` (the liveness route: no token, no store) before the upload starts, so a
 * wrong `--api` fails within seconds naming the URL, rather than after a minute of the SDK's
 * backoff. A refused connection is tried twice more, half a second and a second later, so a server
 * still starting is not called unreachable. Any HTTP answer means the host is there; a 404 on a URL
 * ending in `/v1` means the path was given twice, which is the one mistake told here (the SDK adds
 * `/v1/...` itself). Other answers are left to the upload, whose errors say what they are.
 */
export async function checkApi(
  api: string,
  opts: { fetch?: FetchLike; budgetMs?: number; signal?: AbortSignal } = {},
): Promise<void> {
  const fetchImpl = opts.fetch ?? ((u, i) => fetch(u, i));
  const budgetMs = opts.budgetMs ?? REACH_BUDGET_MS;
  const base = api.replace(/\/+$/, '');
  const url = `${base}/healthz`;
  const deadline = Date.now() + budgetMs;
  let last: unknown;
  for (const waitMs of [0, 500, 1000]) {
    if (waitMs > 0) {
      if (Date.now() + waitMs >= deadline) break;
      await new Promise((r) => setTimeout(r, waitMs));
    }
    throwIfStopped(opts.signal);
    const left = deadline - Date.now();
    if (left <= 0) break;
    const timeout = AbortSignal.timeout(left);
    let res: Response;
    try {
      res = await fetchImpl(url, {
        method: 'GET',
        signal: opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout,
      });
    } catch (e) {
      if (opts.signal?.aborted) throw stoppedError(opts.signal.reason);
      last = e;
      continue;
    }
    await res.body?.cancel().catch(() => {});
    const fixed = withoutV1(base);
    if (res.status === 404 && fixed !== null) {
      throw new UploadClientError(
        null,
        'INVALID_OPTIONS',
        `--api ${api}: GET ${url} answered 404. Drop /v1: the client adds /v1/... itself (--api ${fixed})`,
        { api, suggested: fixed },
      );
    }
    return;
  }
  const reason = networkReason(last) ?? deepestMessage(last);
  throw new UploadClientError(
    null,
    'NETWORK_ERROR',
    `cannot reach the API at ${base}: ${reason} (GET ${url}). Check --api or UPLOADS_API_URL; locally, is \`npm start\` running?`,
    { api: base },
  );
}
