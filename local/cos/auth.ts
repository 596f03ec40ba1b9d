import { timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import {
  authorizationFields,
  canonicalPairs,
  cosEncode,
  httpString,
  parseAuthorization,
  signature,
  signKey,
  stringToSign,
} from '../../shared/cos/signer.ts';
import { accessDenied, CosError, invalidAccessKeyId, signatureMismatch } from './cos-error.ts';
import type { TokenRow } from './meta-store.ts';

/** Who signed: the account's permanent key, or a temporary key bound to an issued token. */
export type Principal = { kind: 'account' } | { kind: 'temporary'; token: TokenRow };

export interface AuthInput {
  method: string;
  /** '/' + decoded key: COS signs the path without the bucket segment. */
  path: string;
  query: ReadonlyMap<string, string>;
  /** Every query parameter in order, repeats included (CosTarget.params). */
  params: readonly (readonly [string, string])[];
  headers: IncomingHttpHeaders;
  nowMs: number;
  account: { secretId: string; secretKey: string };
  findToken: (token: string) => TokenRow | null;
}

const TOKEN = 'x-cos-security-token';

/** The `q-*` fields from the Authorization header, else from a presigned URL's query. */
function authFields(headers: IncomingHttpHeaders, query: ReadonlyMap<string, string>): Record<string, string> | null {
  const h = headers.authorization;
  if (h) return authorizationFields(h);
  if (!query.has('q-signature') && !query.has('q-sign-algorithm')) return null;
  const out: Record<string, string> = {};
  for (const [k, v] of query) if (k.startsWith('q-')) out[k] = v;
  return out;
}

const parseWindow = (v: string): [number, number] => {
  const m = /^(\d+);(\d+)$/.exec(v);
  if (!m) throw accessDenied(`Malformed q-sign-time/q-key-time: ${v}`);
  return [Number(m[1]), Number(m[2])];
};

/** Verifies a COS (sha1) signature exactly as the SDK computes it; throws CosError 403 on any doubt. */
export function authenticate(input: AuthInput): Principal {
  const fields = authFields(input.headers, input.query);
  if (!fields) throw accessDenied('Access Denied: the request is anonymous and the bucket is private.');
  const auth = parseAuthorization(fields);
  if (!auth)
    throw accessDenied(
      'The Authorization is incomplete: q-sign-algorithm, q-ak, q-sign-time, q-key-time and q-signature are required.',
    );
  if (auth.algorithm !== 'sha1') throw accessDenied(`Unsupported q-sign-algorithm ${auth.algorithm}.`);

  const rawToken = input.headers[TOKEN] ?? input.query.get(TOKEN);
  const tokenValue = Array.isArray(rawToken) ? rawToken[0] : rawToken;
  let principal: Principal;
  let secretKey: string;
  if (tokenValue) {
    const token = input.findToken(tokenValue);
    if (!token) throw invalidAccessKeyId('The x-cos-security-token is invalid: it was not issued by this STS.');
    if (token.tmpSecretId !== auth.ak)
      throw invalidAccessKeyId('The q-ak does not belong to the x-cos-security-token.');
    if (token.expiresAt <= input.nowMs)
      throw accessDenied('Request has expired: the temporary credentials have expired.');
    principal = { kind: 'temporary', token };
    secretKey = token.tmpSecretKey;
  } else if (auth.ak === input.account.secretId) {
    principal = { kind: 'account' };
    secretKey = input.account.secretKey;
  } else {
    throw invalidAccessKeyId();
  }

  const now = Math.floor(input.nowMs / 1000);
  for (const [start, end] of [parseWindow(auth.signTime), parseWindow(auth.keyTime)]) {
    if (now > end) throw accessDenied('Request has expired');
    if (now < start)
      throw new CosError(
        403,
        'RequestTimeTooSkewed',
        'The difference between the request time and the server time is too large.',
      );
  }

  const headers: Record<string, string> = {};
  for (const name of auth.headerList) {
    const key = decodeName(name);
    const v = input.headers[key];
    if (v === undefined)
      throw signatureMismatch(`The header ${key} listed in q-header-list is missing from the request.`);
    headers[key] = Array.isArray(v) ? v.join(', ') : v;
  }
  const params: Record<string, string> = {};
  for (const name of auth.urlParamList) {
    // The list names parameters lowercased, so `partnumber=1&partNumber=7` would both fit
    // `partnumber` — and the signature would cover one while the handler read the other. A signed
    // parameter must therefore appear exactly once in any letter case: a URL signed for part 1
    // never writes part 7. COS does not document this; refused as SignatureDoesNotMatch (the
    // request is not unambiguously the one signed).
    const entries = input.params.filter(([k]) => cosEncode(k).toLowerCase() === name);
    if (entries.length === 0)
      throw signatureMismatch(`The parameter ${name} listed in q-url-param-list is missing from the request.`);
    if (entries.length > 1)
      throw signatureMismatch(
        `The signed parameter ${name} appears ${entries.length} times (${entries.map(([k]) => k).join(', ')}); it must appear once.`,
      );
    params[entries[0]![0]] = entries[0]![1];
  }
  const hp = canonicalPairs(headers);
  const pp = canonicalPairs(params);
  const expected = signature(
    signKey(secretKey, auth.keyTime),
    stringToSign(auth.signTime, httpString(input.method, input.path, pp, hp)),
  );
  if (!safeEqual(expected, auth.signature.toLowerCase())) {
    throw signatureMismatch(
      'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
    );
  }
  return principal;
}

const decodeName = (n: string): string => {
  try {
    return decodeURIComponent(n);
  } catch {
    return n;
  }
};

const safeEqual = (a: string, b: string): boolean => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};
