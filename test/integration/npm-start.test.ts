import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { apiClient, bytesOf, putPart } from '../helpers/api-client.ts';

const run = promisify(execFile);
const NODE = join(process.cwd(), 'node_modules/.bin/node');

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

interface Started {
  child: ChildProcess;
  output: () => string;
  token: string;
  api: string;
}

/** Runs `npm start`'s command (node local/start.ts) as a user would, and waits for its banner. */
async function start(env: Record<string, string>): Promise<Started> {
  const child = spawn(NODE, ['local/start.ts', '--quiet'], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d));
  child.stderr!.on('data', (d: Buffer) => (out += d));
  const deadline = Date.now() + 30_000;
  while (!/export ADMIN_TOKEN=/.test(out)) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`npm start did not come up:\n${out}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const token = /export TOKEN=(\S+)/.exec(out)![1]!;
  const api = /API\s+(http:\S+)/.exec(out)![1]!;
  return { child, output: () => out, token, api };
}

async function stop(s: Started, signal: NodeJS.Signals): Promise<number | null> {
  const exited = new Promise<number | null>((resolve) => s.child.once('exit', (code) => resolve(code)));
  s.child.kill(signal);
  return exited;
}

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('npm start', () => {
  it('serves the README tour as written, stops cleanly on SIGTERM/SIGINT, and keeps an open upload across a restart', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'npm-start-'));
    const work = mkdtempSync(join(tmpdir(), 'tour-'));
    dirs.push(dataDir, work);
    const env = { PORT: String(await freePort()), COS_LOCAL_PORT: String(await freePort()), DATA_DIR: dataDir };

    const first = await start(env);
    expect(first.output()).toContain(`http://127.0.0.1:${env.COS_LOCAL_PORT}/uploads-1250000000`);

    // The README's curl tour, extracted and run verbatim.
    const readme = readFileSync('README.md', 'utf8');
    const tour = /<!-- tour:start -->\n```sh\n([\s\S]*?)```\n<!-- tour:end -->/.exec(readme)![1]!;
    const { stdout } = await run('bash', ['-euo', 'pipefail', '-c', tour], {
      cwd: work,
      env: { ...process.env, API: first.api, TOKEN: first.token },
    });
    expect(JSON.parse(stdout.slice(stdout.lastIndexOf('{')))).toMatchObject({ state: 'completed', size: 25165824 });

    // An upload left open with one part in COS and in the ledger.
    const MiB = 1024 * 1024;
    const file = bytesOf(20 * MiB + 1, 3);
    let alice = apiClient(first.api, first.token);
    const up = (await alice.create({ fileName: 'later.bin', size: file.length })).body.upload;
    const url = (await alice.partUrls(up.id, { partNumbers: [1] })).body.urls[0]!;
    const p1 = await putPart(url, file.subarray(0, up.partSize));
    await alice.record(up.id, [{ partNumber: 1, etag: p1.etag! }]);

    expect(await stop(first, 'SIGTERM')).toBe(0);

    const second = await start(env);
    alice = apiClient(second.api, second.token);
    const resumed = await alice.get(up.id);
    expect(resumed.body.upload.state).toBe('open');
    expect(resumed.body.parts).toHaveLength(1);
    const rest = (await alice.partUrls(up.id, { partNumbers: [2, 3] })).body.urls;
    const parts = [];
    for (const u of rest) {
      const put = await putPart(u, file.subarray((u.partNumber - 1) * up.partSize, u.partNumber * up.partSize));
      parts.push({ partNumber: u.partNumber, etag: put.etag! });
    }
    const done = await alice.complete(up.id, { parts });
    expect(done.status, JSON.stringify(done.body)).toBe(200);
    expect(done.body.upload.state).toBe('completed');
    expect(await stop(second, 'SIGINT')).toBe(0);
  }, 120_000);

  it('fails at start-up with a message naming a bad variable', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'npm-start-bad-'));
    dirs.push(dataDir);
    const child = spawn(NODE, ['local/start.ts'], {
      env: { ...process.env, DATA_DIR: dataDir, PORT: '0', COS_LOCAL_PORT: '0', MAX_PARTS: 'lots' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let err = '';
    child.stderr!.on('data', (d: Buffer) => (err += d));
    const code = await new Promise((resolve) => child.once('exit', resolve));
    expect(code).toBe(1);
    expect(err).toContain('MAX_PARTS');
  });
});
