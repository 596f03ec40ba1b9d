import { createRemoteJWKSet, decodeProtectedHeader, type JWTPayload, jwtVerify } from 'jose';
import { unauthorized } from '../errors.ts';
import type { Principal } from './route-event.ts';

export const ADMIN_SCOPE = 'uploads:admin';
/** How far in the future a token's `iat` may be (clock skew between issuer and API) under a maximum age. */
export const IAT_SKEW_SECONDS = 60;

export interface VerifierOptions {
  secret?: string;
  jwksUrl?: string;
  issuer?: string;
  audience?: string;
  /** When set, `iat` is required, at most IAT_SKEW_SECONDS in the future and at most this old. */
  maxTokenAgeSeconds?: number;
  /** Unix-milliseconds clock (tests). */
  now?: () => number;
}

export type TokenVerifier = (token: string) => Promise<Principal>;

const CONTROL = /\p{Cc}/u;

/**
 * The owner id, used exactly as given (never normalised): 1–256 UTF-16 units, well-formed (a lone
 * surrogate would be stored as U+FFFD, handing the upload to another principal) and without
 * control characters.
 */
export const usableSub = (sub: unknown): sub is string =>
  typeof sub === 'string' && sub.length >= 1 && sub.length <= 256 && sub.isWellFormed() && !CONTROL.test(sub);

/**
 * HS256 with the shared secret and/or RS256/ES256 against a JWKS (jose caches the key set and
 * refetches on an unknown `kid`). The algorithm allow-lists are what stop `alg: none` and
 * key-confusion (an RS256 public key used as an HMAC secret).
 */
export function createTokenVerifier(opts: VerifierOptions): TokenVerifier {
  const secret = opts.secret ? new TextEncoder().encode(opts.secret) : undefined;
  const jwks = opts.jwksUrl ? createRemoteJWKSet(new URL(opts.jwksUrl)) : undefined;
  const now = opts.now ?? Date.now;
  const common = { issuer: opts.issuer, audience: opts.audience, requiredClaims: ['exp', 'sub'] };

  return async (token) => {
    let payload: JWTPayload;
    try {
      const { alg } = decodeProtectedHeader(token);
      if (alg === 'HS256' && secret) {
        ({ payload } = await jwtVerify(token, secret, { ...common, algorithms: ['HS256'] }));
      } else if ((alg === 'RS256' || alg === 'ES256') && jwks) {
        ({ payload } = await jwtVerify(token, jwks, { ...common, algorithms: ['RS256', 'ES256'] }));
      } else {
        throw new Error(`algorithm ${String(alg)} not accepted`);
      }
    } catch {
      throw unauthorized();
    }
    const sub = payload.sub;
    if (!usableSub(sub)) throw unauthorized('token has no usable sub');
    if (opts.maxTokenAgeSeconds !== undefined) checkAge(payload.iat, opts.maxTokenAgeSeconds, now());
    const scope = typeof payload.scope === 'string' ? payload.scope.split(' ') : [];
    return { sub, admin: scope.includes(ADMIN_SCOPE) };
  };
}

function checkAge(iat: unknown, maxAgeSeconds: number, nowMs: number): void {
  if (typeof iat !== 'number' || !Number.isFinite(iat)) throw unauthorized('token has no iat');
  const nowSeconds = nowMs / 1000;
  if (iat > nowSeconds + IAT_SKEW_SECONDS) throw unauthorized('token iat is in the future');
  if (nowSeconds - iat > maxAgeSeconds) throw unauthorized('token is older than AUTH_MAX_TOKEN_AGE_SECONDS');
}
