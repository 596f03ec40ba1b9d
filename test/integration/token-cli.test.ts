import { execFile } from 'node:child_process';
import { decodeJwt } from 'jose';
import { describe, expect, it } from 'vitest';

/** `npm run token` as a user types it: npm and all, so stdout is what `$(npm run token)` captures. */
function token(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('npm', ['run', 'token', '--', ...args], { timeout: 30_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe('npm run token', () => {
  it('prints the token alone on stdout, so TOKEN=$(npm run token) works', async () => {
    const r = await token(['--sub', 'bob', '--admin', '--expires', '30m']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+\n$/);
    const claims = decodeJwt(r.stdout.trim());
    expect(claims).toMatchObject({ sub: 'bob', scope: 'uploads:write uploads:admin' });
    expect(claims.exp! - claims.iat!).toBe(1800);
  });

  it('--help prints the usage; a bad --expires or an unknown flag is a usage error, not a stack trace', async () => {
    const help = await token(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('usage: npm run token -- [--sub NAME] [--admin] [--expires DURATION]');
    for (const [args, says] of [
      [['--expires', 'soon'], "--expires: 'soon' is not a duration like 30m, 12h or 7d"],
      [['--expires', '0h'], "--expires: '0h' is not a duration"],
      [['--colour'], "Unknown option '--colour'"],
      [['bob'], "Unexpected argument 'bob'"],
    ] as const) {
      const r = await token([...args]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toContain(says);
      expect(r.stderr).toContain('usage: npm run token');
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
  });
});
