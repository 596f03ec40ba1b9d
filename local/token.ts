import { parseArgs } from 'node:util';
import { LOCAL_JWT_SECRET, mintToken } from './dev-auth.ts';

/**
 * `npm run token -- --sub alice [--admin] [--expires 12h]`: a token for the API's HS256 secret
 * (AUTH_JWT_SECRET, else the local development one), with AUTH_ISSUER/AUTH_AUDIENCE when set.
 * The token alone goes to stdout (`export TOKEN=$(npm run token)`); usage and errors to stderr.
 * Exit codes: 0 printed, 2 bad usage.
 */
export const USAGE = `usage: npm run token -- [--sub NAME] [--admin] [--expires DURATION]
  --sub       the owner the token speaks for (default alice)
  --admin     add the uploads:admin scope (list, abort and sweep any upload)
  --expires   lifetime: a number and a unit, s m h d w (default 12h), e.g. 30m, 7d
Signs with AUTH_JWT_SECRET (default: npm start's development secret), and sets
iss/aud from AUTH_ISSUER/AUTH_AUDIENCE when they are set.`;

/** What jose's setExpirationTime takes, in the short form documented above (and its long words). */
const DURATION =
  /^\d+(\.\d+)? ?(s|sec|secs|second|seconds|m|min|mins|minute|minutes|h|hr|hrs|hour|hours|d|day|days|w|week|weeks)$/i;

interface Io {
  env: Record<string, string | undefined>;
  out: (s: string) => void;
  err: (s: string) => void;
}

/** Runs the command; returns the exit code. */
export async function runTokenCli(argv: string[], io: Io): Promise<number> {
  const usage = (message: string) => {
    io.err(`${message}\n${USAGE}\n`);
    return 2;
  };
  let values: { sub: string; admin: boolean; expires: string; help: boolean };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        sub: { type: 'string', default: 'alice' },
        admin: { type: 'boolean', default: false },
        expires: { type: 'string', default: '12h' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (e) {
    return usage((e as Error).message);
  }
  if (values.help) {
    io.out(`${USAGE}\n`);
    return 0;
  }
  if (!DURATION.test(values.expires.trim()) || Number.parseFloat(values.expires) <= 0) {
    return usage(`--expires: '${values.expires}' is not a duration like 30m, 12h or 7d`);
  }
  if (values.sub.trim() === '') return usage('--sub: the owner name must not be empty');
  const secret = io.env.AUTH_JWT_SECRET || LOCAL_JWT_SECRET;
  const token = await mintToken({
    secret,
    sub: values.sub,
    admin: values.admin,
    expiresIn: values.expires.trim(),
    issuer: io.env.AUTH_ISSUER || undefined,
    audience: io.env.AUTH_AUDIENCE || undefined,
  });
  io.out(`${token}\n`);
  return 0;
}

if (import.meta.main) {
  process.exitCode = await runTokenCli(process.argv.slice(2), {
    env: process.env,
    out: (s) => process.stdout.write(s),
    err: (s) => process.stderr.write(s),
  });
}
