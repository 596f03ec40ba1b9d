/**
 * Addressing: `endpoint` is the bucket's base URL — virtual-hosted in the cloud
 * (`https://<bucket>.cos.<region>.myqcloud.com`) or path-style locally
 * (`http://127.0.0.1:<port>/<bucket>`). The signature covers `/<key>` only: COS and the emulator
 * strip the bucket segment before verifying.
 */

export interface Endpoint {
  /** Base URL without a trailing slash. */
  base: string;
  /** The `host` header value fetch will send, and therefore the one to sign. */
  host: string;
}

export function parseEndpoint(endpoint: string): Endpoint {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new TypeError('COS endpoint is not a URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new TypeError('COS endpoint must be http(s)');
  if (url.search || url.hash || url.username || url.password) {
    throw new TypeError('COS endpoint must not carry a query, fragment or credentials');
  }
  return { base: `${url.origin}${url.pathname.replace(/\/+$/, '')}`, host: url.host };
}

/** COS's limit on a key's UTF-8 length. */
export const MAX_KEY_BYTES = 850;

/**
 * `.` and `..` segments (also as %2E) are collapsed by every URL parser, so such a key would
 * silently address another object; lone surrogates cannot be percent-encoded. Refuse both.
 */
export function isAddressableKey(key: string): boolean {
  return (
    key.length > 0 &&
    key.isWellFormed() &&
    Buffer.byteLength(key, 'utf8') <= MAX_KEY_BYTES &&
    key.split('/').every((s) => s !== '.' && s !== '..')
  );
}

/** Percent-encodes each path segment, keeping `/`. */
export const encodeKeyPath = (key: string): string => key.split('/').map(encodeURIComponent).join('/');

/** Query string; an empty value renders bare (`?uploads`), as COS's own SDKs send it. */
export function queryString(query: Record<string, string | number>): string {
  const parts = Object.entries(query).map(([k, v]) =>
    v === '' ? encodeURIComponent(k) : `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`,
  );
  return parts.length ? `?${parts.join('&')}` : '';
}

/** The request URL for an object key, or the bucket root for `''`. */
export const requestUrl = (ep: Endpoint, key: string, query: Record<string, string | number> = {}): string =>
  `${ep.base}/${encodeKeyPath(key)}${queryString(query)}`;

/** The decoded path that goes into the signature. */
export const signedPath = (key: string): string => `/${key}`;
