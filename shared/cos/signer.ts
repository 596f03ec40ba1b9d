import { createHash, createHmac } from 'node:crypto';

/**
 * COS request signing (XML API, `q-sign-algorithm=sha1`), as small pure functions so each step
 * has its own test and the emulator verifies with exactly the same steps. Clock and secrets are
 * passed in. Verified against `COS.getAuthorization` of cos-nodejs-sdk-v5 (test/unit/signer.test.ts).
 */

/** encodeURIComponent plus `! ' ( ) *`, as COS (and its SDKs) encode inside the signature. */
export function cosEncode(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** Headers the official Node SDK signs besides every `x-cos-*` one. */
export const SIGNABLE_HEADERS: ReadonlySet<string> = new Set([
  'cache-control',
  'content-disposition',
  'content-encoding',
  'content-length',
  'content-md5',
  'content-type',
  'expect',
  'expires',
  'host',
  'if-match',
  'if-modified-since',
  'if-none-match',
  'if-unmodified-since',
  'origin',
  'range',
  'transfer-encoding',
]);

export const isSignableHeader = (name: string): boolean => {
  const n = name.toLowerCase();
  return n.startsWith('x-cos-') || SIGNABLE_HEADERS.has(n);
};

export interface CanonicalPairs {
  /** `q-url-param-list` / `q-header-list`: encoded lowercased keys joined with `;`. */
  list: string;
  /** `k=v&...` of encoded lowercased keys and encoded values, sorted by key. */
  string: string;
}

/** Canonical form of query params or headers: keys encoded then lowercased, sorted. */
export function canonicalPairs(entries: Record<string, string | number | undefined>): CanonicalPairs {
  const pairs = Object.entries(entries)
    .filter((e): e is [string, string | number] => e[1] !== undefined)
    .map(([k, v]) => [cosEncode(k).toLowerCase(), cosEncode(String(v))] as const)
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return { list: pairs.map((p) => p[0]).join(';'), string: pairs.map(([k, v]) => `${k}=${v}`).join('&') };
}

export const keyTime = (startSeconds: number, endSeconds: number): string => `${startSeconds};${endSeconds}`;

export const signKey = (secretKey: string, kt: string): string =>
  createHmac('sha1', secretKey).update(kt).digest('hex');

/** `method\npath\nparams\nheaders\n`; the path is the decoded object path, e.g. `/a b+(1).bin`. */
export const httpString = (method: string, path: string, params: CanonicalPairs, headers: CanonicalPairs): string =>
  `${method.toLowerCase()}\n${path}\n${params.string}\n${headers.string}\n`;

export const stringToSign = (kt: string, http: string): string =>
  `sha1\n${kt}\n${createHash('sha1').update(http, 'utf8').digest('hex')}\n`;

export const signature = (key: string, sts: string): string => createHmac('sha1', key).update(sts).digest('hex');

export interface SignInput {
  secretId: string;
  secretKey: string;
  method: string;
  /** Decoded path starting with `/` (the object key, without the bucket). */
  path: string;
  query?: Record<string, string | number | undefined>;
  /** Only signable headers are taken (see isSignableHeader). */
  headers?: Record<string, string | number | undefined>;
  startSeconds: number;
  endSeconds: number;
  /** A precomputed signKey for this secretKey and window (batch presigning computes it once). */
  signKey?: string;
}

/** The `Authorization` value (also the `q-*` query of a presigned URL). */
export function authorization(input: SignInput): string {
  const kt = keyTime(input.startSeconds, input.endSeconds);
  const headers = Object.fromEntries(Object.entries(input.headers ?? {}).filter(([k]) => isSignableHeader(k)));
  const params = canonicalPairs(input.query ?? {});
  const hdrs = canonicalPairs(headers);
  const sig = signature(
    input.signKey ?? signKey(input.secretKey, kt),
    stringToSign(kt, httpString(input.method, input.path, params, hdrs)),
  );
  return [
    'q-sign-algorithm=sha1',
    `q-ak=${input.secretId}`,
    `q-sign-time=${kt}`,
    `q-key-time=${kt}`,
    `q-header-list=${hdrs.list}`,
    `q-url-param-list=${params.list}`,
    `q-signature=${sig}`,
  ].join('&');
}

export interface ParsedAuthorization {
  algorithm: string;
  ak: string;
  signTime: string;
  keyTime: string;
  headerList: string[];
  urlParamList: string[];
  signature: string;
}

/** Parses an `Authorization` value or the `q-*` params of a presigned URL; null if incomplete. */
export function parseAuthorization(fields: Record<string, string | undefined>): ParsedAuthorization | null {
  const get = (k: string) => fields[k];
  const algorithm = get('q-sign-algorithm');
  const ak = get('q-ak');
  const signTime = get('q-sign-time');
  const kt = get('q-key-time');
  const sig = get('q-signature');
  if (!algorithm || !ak || !signTime || !kt || !sig) return null;
  const split = (v: string | undefined) => (v ? v.split(';').filter(Boolean) : []);
  return {
    algorithm,
    ak,
    signTime,
    keyTime: kt,
    headerList: split(get('q-header-list')),
    urlParamList: split(get('q-url-param-list')),
    signature: sig,
  };
}

/** `a=1&b=2` (the Authorization header's own format; values are not URL-encoded) into fields. */
export function authorizationFields(header: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of header.split('&')) {
    const i = part.indexOf('=');
    if (i > 0) out[part.slice(0, i)] = part.slice(i + 1);
  }
  return out;
}
