import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { apiClient, bytesOf, putPart } from '../helpers/api-client.ts';

const run = promisify(execFile);
const NODE = join(process.cwd(), 'node_modules/.bin/node');

/** Runs `node local/start.ts` to its exit; what it printed on stderr. */
async function failedStart(env: Record<string, string | undefined>, args: string[] = []) {
  const child = spawn(NODE, ['local/start.ts', ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d));
  const code = await new Promise((resolve) => child.once('exit', resolve));
  return { code, err };
}

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
async function start(env: Record<string, string>, args = ['--quiet']): Promise<Started> {
  const child = spawn(NODE, ['local/start.ts', ...args], {
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
      // The tour makes its own scratch directory (mktemp -d): here, under this test's.
      env: { ...process.env, API: first.api, TOKEN: first.token, TMPDIR: work },
    });
    expect(JSON.parse(stdout.slice(stdout.lastIndexOf('{')))).toMatchObject({ state: 'completed', size: 25165824 });
    // Its files went to the scratch directory, not to where it was run from.
    expect(readdirSync(work).filter((f) => !f.startsWith('tmp.'))).toEqual([]);

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

  it('a port in use names the variable to change, PORT or COS_LOCAL_PORT, without a stack trace', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'npm-start-port-'));
    dirs.push(dataDir);
    const holder = createServer();
    const taken = await new Promise<number>((resolve) =>
      holder.listen(0, '127.0.0.1', () => resolve((holder.address() as { port: number }).port)),
    );
    try {
      const api = await failedStart({ DATA_DIR: dataDir, PORT: String(taken), COS_LOCAL_PORT: '0' });
      expect(api.code).toBe(1);
      expect(api.err).toContain(`port ${taken} (the API) is already in use`);
      expect(api.err).toContain(`PORT=${taken + 10} npm start`);
      expect(api.err).not.toMatch(/\n\s+at /);
      const cos = await failedStart({ DATA_DIR: dataDir, PORT: '0', COS_LOCAL_PORT: String(taken) });
      expect(cos.code).toBe(1);
      expect(cos.err).toContain(`port ${taken} (the local COS + STS emulator) is already in use`);
      expect(cos.err).toContain('COS_LOCAL_PORT=');
      expect(cos.err).not.toMatch(/\n\s+at /);
    } finally {
      holder.close();
    }
  });

  it('request logs stay off the terminal by default; --verbose (or LOG_LEVEL) brings them back', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'npm-start-logs-'));
    dirs.push(dataDir);
    const env = { PORT: String(await freePort()), COS_LOCAL_PORT: String(await freePort()), DATA_DIR: dataDir };
    const request = (api: string) => fetch(`${api}/healthz`).then((r) => r.text());
    const plain = await start({ ...env, LOG_LEVEL: '' }, []);
    await request(plain.api);
    await new Promise((r) => setTimeout(r, 200));
    expect(plain.output()).toContain('request logs: npm start -- --verbose');
    expect(plain.output()).not.toContain('"msg":"request"');
    expect(await stop(plain, 'SIGTERM')).toBe(0);
    for (const [extra, args] of [
      [{}, ['--verbose']],
      [{ LOG_LEVEL: 'info' }, []],
    ] as const) {
      const loud = await start({ ...env, ...extra }, [...args]);
      await request(loud.api);
      const deadline = Date.now() + 5000;
      while (!loud.output().includes('"msg":"request"') && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 50));
      expect(loud.output(), JSON.stringify(extra)).toContain('"msg":"request"');
      expect(await stop(loud, 'SIGTERM')).toBe(0);
    }
  });

  it('UPLOADS_STORE=dynamodb with nowhere to go, or DynamoDB Local not running, says what to do', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'npm-start-ddb-'));
    dirs.push(dataDir);
    const base = { DATA_DIR: dataDir, PORT: '0', COS_LOCAL_PORT: '0', UPLOADS_STORE: 'dynamodb' };
    const noRegion = await failedStart({
      ...base,
      DYNAMODB_ENDPOINT: undefined,
      AWS_REGION: undefined,
      AWS_DEFAULT_REGION: undefined,
      AWS_PROFILE: undefined,
      AWS_CONFIG_FILE: join(dataDir, 'no-aws-config'),
      AWS_SHARED_CREDENTIALS_FILE: join(dataDir, 'no-aws-credentials'),
    });
    expect(noRegion.code).toBe(1);
    expect(noRegion.err).toContain('UPLOADS_STORE=dynamodb needs DYNAMODB_ENDPOINT or an AWS region');
    expect(noRegion.err).toContain('npm run db:local');
    const endpoint = `http://127.0.0.1:${await freePort()}`;
    const down = await failedStart({ ...base, DYNAMODB_ENDPOINT: endpoint });
    expect(down.code).toBe(1);
    expect(down.err).toContain(`DynamoDB Local is not running at ${endpoint} (connection refused)`);
    expect(down.err).toContain('start it with `npm run db:local`');
  });
});
