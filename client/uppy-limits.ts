/**
 * `GET /v1/limits` for the Uppy plugin: what the server accepts, read once, turned into Uppy
 * restrictions so a file the server would refuse is refused when it is added, not at create.
 */
import type { Restrictions } from '@uppy/core';
import type { FetchLike } from './types.ts';

/** The fields of `GET /v1/limits` the plugin reads; a newer server's other fields pass through. */
export interface ServerLimits {
  /** The largest upload the server accepts, in bytes. */
  maxUploadBytes?: number;
  /**
   * Content types the server accepts, with `*` wildcards (`image/*`); `*\/*` means any. An array,
   * or the comma list of `ALLOWED_CONTENT_TYPES`.
   */
  allowedContentTypes?: readonly string[] | string;
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
}

/**
 * Reads `GET /v1/limits`. Resolves null, never rejects, when the server has no such route (an
 * older server: 404) or cannot be read (network, non-JSON, another status): limits are a
 * convenience, the server enforces them at create anyway.
 */
export async function fetchServerLimits(req: LimitsRequest): Promise<ServerLimits | null> {
  const fetchImpl = req.fetch ?? ((input, init) => globalThis.fetch(input, init));
  try {
    const res = await fetchImpl(`${req.endpoint.replace(/\/+$/, '')}/v1/limits`, {
      signal: AbortSignal.timeout(req.timeoutMs ?? 10_000),
    });
    if (!res.ok) return null;
    const body: unknown = await res.json();
    if (typeof body !== 'object' || body === null || Array.isArray(body)) return null;
    return body as ServerLimits;
  } catch {
    return null;
  }
}

/** The content types of a limits answer as a list; null when any type is allowed or none is given. */
export function allowedTypes(limits: ServerLimits): string[] | null {
  const raw = limits.allowedContentTypes;
  const list = (typeof raw === 'string' ? raw.split(',') : Array.isArray(raw) ? raw : [])
    .filter((t): t is string => typeof t === 'string')
    .map((t) => t.trim())
    .filter((t) => t !== '');
  if (list.length === 0 || list.some((t) => t === '*/*' || t === '*')) return null;
  return list;
}

/**
 * Uppy restrictions that hold the server's limits, merged with the ones the app already set: the
 * smaller `maxFileSize` wins, and the app's own `allowedFileTypes` are kept when it set any (they
 * are the app's choice; the server still refuses a type outside its list).
 */
export function restrictionsFromLimits(
  limits: ServerLimits,
  current: Partial<Restrictions>,
): Partial<Pick<Restrictions, 'maxFileSize' | 'allowedFileTypes'>> {
  const out: Partial<Pick<Restrictions, 'maxFileSize' | 'allowedFileTypes'>> = {};
  const max = limits.maxUploadBytes;
  if (typeof max === 'number' && Number.isFinite(max) && max > 0) {
    out.maxFileSize = current.maxFileSize != null ? Math.min(current.maxFileSize, max) : max;
  }
  const types = allowedTypes(limits);
  if (types && current.allowedFileTypes == null) out.allowedFileTypes = types;
  return out;
}
