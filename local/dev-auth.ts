import { SignJWT } from 'jose';
import { ADMIN_SCOPE } from '../shared/http/token-verifier.ts';

/** Development-only HS256 secret for `npm start`; printed at start-up, useless anywhere else. */
export const LOCAL_JWT_SECRET = 'local-development-secret-change-me';

export interface MintOptions {
  secret: string;
  sub: string;
  admin?: boolean;
  /** jose duration, e.g. '12h' */
  expiresIn?: string;
  issuer?: string;
  audience?: string;
}

/** An HS256 token the API accepts: `sub` is the owner, `uploads:admin` in `scope` for admins. */
export async function mintToken(opts: MintOptions): Promise<string> {
  let jwt = new SignJWT({ scope: opts.admin ? `uploads:write ${ADMIN_SCOPE}` : 'uploads:write' })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(opts.sub)
    .setIssuedAt()
    .setExpirationTime(opts.expiresIn ?? '12h');
  if (opts.issuer) jwt = jwt.setIssuer(opts.issuer);
  if (opts.audience) jwt = jwt.setAudience(opts.audience);
  return jwt.sign(new TextEncoder().encode(opts.secret));
}
