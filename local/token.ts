import { parseArgs } from 'node:util';
import { LOCAL_JWT_SECRET, mintToken } from './dev-auth.ts';

/** `npm run token -- --sub alice [--admin] [--expires 12h]`: a token for the API's HS256 secret. */
const { values } = parseArgs({
  options: {
    sub: { type: 'string', default: 'alice' },
    admin: { type: 'boolean', default: false },
    expires: { type: 'string', default: '12h' },
  },
});
const token = await mintToken({
  secret: process.env.AUTH_JWT_SECRET || LOCAL_JWT_SECRET,
  sub: values.sub,
  admin: values.admin,
  expiresIn: values.expires,
  issuer: process.env.AUTH_ISSUER || undefined,
  audience: process.env.AUTH_AUDIENCE || undefined,
});
process.stdout.write(`${token}\n`);
