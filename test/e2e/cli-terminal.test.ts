import { execFile, execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crc64 } from '../../shared/core/crc64.ts';
import { type E2eStack, randomBytes, readObject, startE2eStack } from './helpers.ts';

/**
 * The upload CLI as a user meets it: `npm run upload` in an 80-column terminal (tmux), its stdout
 * redirected to a file, and a wrong `--api`.
 */
const MiB = 1024 * 1024;
const ROOT = join(import.meta.dirname, '../..');
const exec = promisify(execFile);
const tmux = (...args: string[]) => execFileSync('tmux', args, { encoding: 'utf8' });

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

describe('npm run upload in a terminal', () => {
  let e2e: E2eStack;
  let token: string;
  beforeAll(async () => {
    e2e = await startE2eStack();
    token = await e2e.stack.token('e2e-terminal');
  });
  afterAll(() => e2e?.close());

  it('in 80 columns: one progress line redrawn in place, retries shown, every line fits, JSON alone in the file', async () => {
    const bytes = randomBytes(21 * MiB + 5, 7);
    const file = join(e2e.dir, 'terminal clip.bin');
    writeFileSync(file, bytes);
    const out = join(e2e.dir, 'out.json');
    const faults = e2e.stack.emulator.faults;
    // The first part PUT is refused once (a retry to show), then every part is slow enough for
    // the bar to be redrawn many times.
    faults.add({ op: 'UploadPart', count: 1, action: { type: 'error', status: 503, code: 'ServiceUnavailable' } });
    faults.add({ op: 'UploadPart', count: 1000, action: { type: 'delay', ms: 60 } });
    const session = `cli-${process.pid}-${Date.now()}`;
    tmux(
      'new-session',
      '-d',
      '-x',
      '80',
      '-y',
      '24',
      '-s',
      session,
      '-c',
      ROOT,
      '-e',
      `UPLOADS_TOKEN=${token}`,
      '-e',
      `UPLOADS_STATE_DIR=${join(e2e.dir, 'state')}`,
      // The shell stays after the command so its screen can be read.
      `npm run upload -- '${file}' --api ${e2e.stack.apiUrl} --part-size ${MiB} --concurrency 2 > '${out}'; echo "EXIT=$?"; sleep 60`,
    );
    let screen = '';
    try {
      const deadline = Date.now() + 45_000;
      while (!/EXIT=\d+/.test(screen)) {
        if (Date.now() > deadline) throw new Error(`the CLI did not finish:\n${screen}`);
        await new Promise((r) => setTimeout(r, 200));
        // -J joins wrapped lines: a line too long for the terminal shows as one long line.
        screen = tmux('capture-pane', '-p', '-J', '-S', '-', '-t', session);
      }
    } finally {
      faults.clear();
      tmux('kill-session', '-t', session);
    }
    const lines = screen.split('\n').filter((l) => l.trim() !== '');
    expect(screen).toContain('EXIT=0');
    for (const line of lines) expect([...line].length, line).toBeLessThanOrEqual(80);
    // Redrawn in place: the finished bar is the one progress line left on the screen.
    const bars = lines.filter((l) => /parts \d+\/\d+|% .* \/ /.test(l));
    expect(bars, screen).toHaveLength(1);
    expect(bars[0]).toMatch(/100\.0% 21\.0 MiB \/ 21\.0 MiB .*ETA 0s {2}parts 22\/22$/);
    expect(screen).toMatch(/retrying in \d+(\.\d)? s: COS answered 503 ServiceUnavailable \(part \d+\)/);
    expect(screen).not.toContain(token);
    // stdout went to the file: JSON only, no npm banner, no token.
    const text = readFileSync(out, 'utf8');
    expect(text).not.toContain(token);
    const result = JSON.parse(text) as { key: string; crc64: string; size: number };
    expect(result).toMatchObject({ size: bytes.length, crc64: crc64(bytes).toString() });
    expect(Buffer.compare(await readObject(e2e.stack, result.key), bytes)).toBe(0);
  });

  it('`npm run upload -- f --token T > out.json` writes parseable JSON, and npm echoes neither banner nor token', async () => {
    const file = join(e2e.dir, 'small.txt');
    writeFileSync(file, 'hello, out.json');
    const out = join(e2e.dir, 'small.json');
    const { stderr } = await exec('bash', ['-c', `npm run upload -- "$F" --api "$API" --token "$T" > "$OUT"`], {
      cwd: ROOT,
      env: { ...process.env, F: file, API: e2e.stack.apiUrl, T: token, OUT: out, UPLOADS_STATE_DIR: e2e.dir },
    });
    const text = readFileSync(out, 'utf8');
    expect(JSON.parse(text)).toMatchObject({ size: 15, key: expect.stringMatching(/small\.txt$/) });
    expect(text.trim().split('\n')).toHaveLength(1);
    expect(stderr).not.toContain(token);
    expect(stderr).not.toContain('> cos-upload-coordinator');
  });

  it('a wrong --api fails within seconds naming the URL; --api …/v1 is told to drop /v1', async () => {
    const file = join(e2e.dir, 'small.txt');
    writeFileSync(file, 'hello');
    const cli = (api: string) =>
      exec(join(ROOT, 'node_modules/.bin/node'), ['client/cli.ts', file, '--api', api], {
        cwd: ROOT,
        env: { ...process.env, UPLOADS_TOKEN: token, UPLOADS_STATE_DIR: join(e2e.dir, 'state3') },
      }).then(
        () => ({ code: 0, stderr: '' }),
        (e: { code: number; stderr: string }) => ({ code: e.code, stderr: e.stderr }),
      );
    const dead = `http://127.0.0.1:${await freePort()}`;
    const started = Date.now();
    const refused = await cli(dead);
    expect(Date.now() - started).toBeLessThan(8000);
    expect(refused.code).toBe(1);
    const error = JSON.parse(refused.stderr.trim().split('\n').at(-1)!) as { error: { code: string; message: string } };
    expect(error.error.code).toBe('NETWORK_ERROR');
    expect(error.error.message).toContain(`cannot reach the API at ${dead}: connection refused`);

    const v1 = await cli(`${e2e.stack.apiUrl}/v1`);
    expect(v1.code).toBe(2);
    expect(v1.stderr).toContain('Drop /v1');
    expect(v1.stderr).toContain(`--api ${e2e.stack.apiUrl})`);
  });
});
