import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crc64 } from '../../shared/core/crc64.ts';
import { type E2eStack, randomBytes, readObject, startE2eStack } from './helpers.ts';

const MiB = 1024 * 1024;
const NODE = './node_modules/.bin/node';

interface Run {
  child: ChildProcess;
  exit: Promise<{ code: number | null; stdout: string; stderr: string }>;
}

function runCli(args: string[], env: Record<string, string>): Run {
  const child = spawn(NODE, ['client/cli.ts', ...args], {
    cwd: join(import.meta.dirname, '../..'),
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exit = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
    child.on('close', (code) => resolve({ code, stdout, stderr })),
  );
  return { child, exit };
}

const until = async (cond: () => boolean) => {
  while (!cond()) await new Promise((r) => setTimeout(r, 20));
};

describe('CLI against the local stack', () => {
  let e2e: E2eStack;
  let token: string;
  beforeAll(async () => {
    e2e = await startE2eStack();
    token = await e2e.stack.token('e2e-cli');
  });
  afterAll(() => e2e?.close());

  it('Ctrl-C keeps the upload; the re-run resumes it, sends only the missing parts, exits 0', async () => {
    const bytes = randomBytes(20 * MiB + 99, 11);
    const file = join(e2e.dir, 'video file.bin');
    writeFileSync(file, bytes);
    const stateDir = join(e2e.dir, 'state');
    const env = { UPLOADS_API_URL: e2e.stack.apiUrl, UPLOADS_TOKEN: token, UPLOADS_STATE_DIR: stateDir };
    const args = [file, '--part-size', String(MiB), '--concurrency', '2'];
    const faults = e2e.stack.emulator.faults;

    // Slow parts down so the interrupt lands mid-upload.
    faults.add({ op: 'UploadPart', count: 1000, action: { type: 'delay', ms: 150 } });
    const first = runCli(args, env);
    const start = faults.hits;
    await until(() => faults.hits - start >= 8);
    first.child.kill('SIGINT');
    const stopped = await first.exit;
    expect(stopped.code).toBe(130);
    expect(stopped.stderr).toContain('run the same command again to resume');
    expect(readdirSync(stateDir)).toHaveLength(1);
    faults.clear();
    const saved = JSON.parse(readFileSync(join(stateDir, readdirSync(stateDir)[0]!), 'utf8')) as { uploadId: string };
    const ledger = (await (
      await fetch(`${e2e.stack.apiUrl}/v1/uploads/${saved.uploadId}`, { headers: { authorization: `Bearer ${token}` } })
    ).json()) as { parts: unknown[] };
    // The interrupted run recorded the parts it had finished before exiting.
    expect(ledger.parts.length).toBeGreaterThan(0);

    // Count part requests of the re-run with a no-op delay rule.
    faults.add({ op: 'UploadPart', count: 1000, action: { type: 'delay', ms: 0 } });
    const before = faults.hits;
    const second = await runCli(args, env).exit;
    const partRequests = faults.hits - before;
    faults.clear();
    expect(second.code, second.stderr).toBe(0);
    expect(second.stderr).toMatch(/resuming upload upl_/);
    const out = JSON.parse(second.stdout) as { id: string; key: string; etag: string; crc64: string; size: number };
    expect(out.key).toMatch(/video file\.bin$/);
    expect(out.etag).toMatch(/^"[0-9a-f]{32}-21"$/);
    expect(out.crc64).toBe(crc64(bytes).toString());
    expect(out.id).toBe(saved.uploadId);
    expect(partRequests).toBe(21 - ledger.parts.length);
    expect(existsSync(join(stateDir, readdirSync(stateDir)[0] ?? 'none'))).toBe(false);
    expect(Buffer.compare(await readObject(e2e.stack, out.key), bytes)).toBe(0);
  });

  it('fails with a non-zero exit and the contract error as JSON', async () => {
    const file = join(e2e.dir, 'small.txt');
    writeFileSync(file, 'hello');
    const res = await runCli([file, '--api', e2e.stack.apiUrl, '--token', 'not-a-jwt'], {
      UPLOADS_STATE_DIR: join(e2e.dir, 'state2'),
    }).exit;
    expect(res.code).toBe(1);
    expect(res.stdout).toBe('');
    const err = JSON.parse(res.stderr.trim().split('\n').at(-1)!) as { error: { code: string; status: number } };
    expect(err.error).toMatchObject({ code: 'UNAUTHORIZED', status: 401 });
    const usage = await runCli([], { UPLOADS_STATE_DIR: join(e2e.dir, 'state2') }).exit;
    expect(usage.code).toBe(2);
  });
});
