/**
 * `GET /v1/limits`: what the server accepts, so clients plan without guessing — the Uppy plugin
 * turns it into restrictions (uppy-limits.ts), `uploadMany` reads the open-upload quota from it.
 */
import { linkSignals } from './scheduler.ts';
import type { FetchLike } from './types.ts';

/** The fields of `GET /v1/limits` the client reads; a newer server's other fields pass through. */
export interface ServerLimits {
  /** The largest upload the server accepts, in bytes. */
  maxUploadBytes?: number;
  /**
   * Content types the server accepts, with `*` wildcards (`image/*`); `*\/*` means any. An array,
   * or the comma list of `ALLOWED_CONTENT_TYPES`.
   */
  allowedContentTypes?: readonly string[] | string;
  /** Uploads one owner may have open at once (the quota). */
  maxOpenUploadsPerOwner?: number;
  /** Each profile's overrides of the fields above. */
  profiles?: Record<string, { maxOpenUploadsPerOwner?: number; [field: string]: unknown }>;
  /** Whatever else the server says (part sizes, quotas...). */
  [field: string]: unknown;
}

/** How {@link fetchServerLimits} reaches the API. */
export interface LimitsRequest {
  /** Base URL of the API (`/v1/limits` is appended). The route takes no token. */
  endpoint: string;
  /** Injectable fetch (default: the global one). */
  fetch?: FetchLike;
  /** Gives up after this long (default 10,000 ms). */
  timeoutMs?: number;
  /** Gives up when this fires (resolving null, as for any failure). */
  signal?: AbortSignal;
}

/**
 * Reads `GET /v1/limits`. Resolves null, never rejects, when the server has no such route (an
 * older server: 404) or cannot be read (network, non-JSON, another status): limits are a
 * convenience, the server enforces them at create anyway.
 */
export async function fetchServerLimits(req: LimitsRequest): Promise<ServerLimits | null> {
  const fetchImpl = req.fetch ?? ((input, init) => globalThis.fetch(input, init));
  // A timer rather than AbortSignal.timeout, which React Native and older browsers lack.
  const link = linkSignals(req.signal);
  const timer = setTimeout(() => link.controller.abort('timeout'), req.timeoutMs ?? 10_000);
  try {
    const res = await fetchImpl(`${req.endpoint.replace(/\/+$/, '')}/v1/limits`, { signal: link.controller.signal });
    if (!res.ok) return null;
    const body: unknown = await res.json();
    if (typeof body !== 'object' || body === null || Array.isArray(body)) return null;
    return body as ServerLimits;
  } catch {
    return null;
  } finally {
    clearTimeout(timer);
    link.dispose();
  }
}
