import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReportEntry } from '../../client/cli/run-many.ts';
import { type E2eStack, randomBytes, readObject, startE2eStack } from './helpers.ts';

const NODE = './node_modules/.bin/node';
const ROOT = join(import.meta.dirname, '../..');

interface Run {
  child: ChildProcess;
  exit: Promise<{ code: number | null; stdout: string; stderr: string }>;
}

function run(cmd: string, args: string[], env: Record<string, string>): Run {
  const child = spawn(cmd, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exit = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
    child.on('close', (code) => resolve({ code, stdout, stderr })),
  );
  return { child, exit };
}

interface Report {
  files: number;
  completed: number;
  earlier: number;
  skipped: number;
  failed: number;
  report: ReportEntry[];
}

/** 200 files of 1–20 KiB in a tree three levels deep; returns their bytes by path. */
function makeTree(dir: string, seed: number): Map<string, Uint8Array> {
  const files = new Map<string, Uint8Array>();
  for (let i = 0; i < 200; i++) {
    const sub = join(dir, `d${i % 4}`, `e${i % 3}`);
    mkdirSync(sub, { recursive: true });
    const path = join(sub, `photo-${i}.jpg`);
    const bytes = randomBytes(1024 + ((i * 977) % (19 * 1024)), seed + i);
    writeFileSync(path, bytes);
    files.set(path, bytes);
  }
  return files;
}

const until = async (cond: () => boolean) => {
  while (!cond()) await new Promise((r) => setTimeout(r, 20));
};

describe('CLI with many files against the local stack', () => {
  let e2e: E2eStack;
  beforeAll(async () => {
    e2e = await startE2eStack();
  });
  afterAll(() => e2e?.close());

  const envFor = async (name: string) => ({
    UPLOADS_API_URL: e2e.stack.apiUrl,
    UPLOADS_TOKEN: await e2e.stack.token(name),
    UPLOADS_STATE_DIR: join(e2e.dir, `state-${name}`),
  });

  it('a nested folder of 200 files: all completed, a JSON report; again with --skip-existing: 200 skipped', async () => {
    const dir = join(e2e.dir, 'photos');
    const files = makeTree(dir, 1);
    const env = await envFor('many');
    const first = await run(NODE, ['client/cli.ts', dir, '--concurrency', '8'], env).exit;
    expect(first.code, first.stderr).toBe(0);
    const report = JSON.parse(first.stdout) as Report;
    expect(report).toMatchObject({ files: 200, completed: 200, skipped: 0, failed: 0 });
    expect(new Set(report.report.map((r) => r.path))).toEqual(new Set(files.keys()));
    expect(first.stderr).toMatch(/200 files: 200 uploaded, 0 skipped, 0 failed/);
    for (const r of report.report.slice(0, 200).filter((_, i) => i % 40 === 0)) {
      expect(r.uploadId).toMatch(/^upl_/);
      expect(Buffer.compare(await readObject(e2e.stack, r.key!), files.get(r.path)!)).toBe(0);
    }
    // Done in full: nothing is left to resume.
    expect(readdirSync(env.UPLOADS_STATE_DIR)).toEqual([]);

    const again = await run(NODE, ['client/cli.ts', dir, '--skip-existing'], env).exit;
    expect(again.code, again.stderr).toBe(0);
    const second = JSON.parse(again.stdout) as Report;
    expect(second).toMatchObject({ files: 200, completed: 0, skipped: 200, failed: 0 });
    // A skipped file names the upload that already holds it.
    const byPath = new Map(report.report.map((r) => [r.path, r.uploadId]));
    for (const r of second.report) expect(r.uploadId).toBe(byPath.get(r.path));
  });

  it('a folder with --md5 and --limit-rate: byte-exact, COS checking each MD5-bound PUT', async () => {
    const dir = join(e2e.dir, 'md5-set');
    mkdirSync(dir, { recursive: true });
    const files = new Map<string, Uint8Array>();
    for (let i = 0; i < 10; i++) {
      const path = join(dir, `scan-${i}.bin`);
      const bytes = randomBytes(4096 + i * 1000, 500 + i);
      writeFileSync(path, bytes);
      files.set(path, bytes);
    }
    const env = await envFor('many-md5');
    const out = await run(NODE, ['client/cli.ts', dir, '--md5', '--limit-rate', '8M'], env).exit;
    expect(out.code, out.stderr).toBe(0);
    const report = JSON.parse(out.stdout) as Report;
    expect(report).toMatchObject({ files: 10, completed: 10, failed: 0 });
    for (const r of report.report) {
      expect(Buffer.compare(await readObject(e2e.stack, r.key!), files.get(r.path)!)).toBe(0);
    }
  });

  it('Ctrl-C midway, then the same command uploads only the rest', async () => {
    const dir = join(e2e.dir, 'backup');
    const files = makeTree(dir, 1000);
    const env = await envFor('interrupted');
    const faults = e2e.stack.emulator.faults;
    // Slow PUTs down so the interrupt lands with some files done and most not.
    faults.add({ op: 'UploadPart', count: 10_000, action: { type: 'delay', ms: 40 } });
    const start = faults.hits;
    const first = run(NODE, ['client/cli.ts', dir, '--concurrency', '4'], env);
    await until(() => faults.hits - start >= 40);
    first.child.kill('SIGINT');
    const stopped = await first.exit;
    faults.clear();
    expect(stopped.code, stopped.stderr).toBe(130);
    expect(stopped.stderr).toContain('run the same command again');
    const partial = JSON.parse(stopped.stdout) as Report;
    expect(partial.completed).toBeGreaterThan(0);
    expect(partial.completed).toBeLessThan(200);

    faults.add({ op: 'UploadPart', count: 10_000, action: { type: 'delay', ms: 0 } });
    const before = faults.hits;
    const second = await run(NODE, ['client/cli.ts', dir, '--concurrency', '4'], env).exit;
    const puts = faults.hits - before;
    faults.clear();
    expect(second.code, second.stderr).toBe(0);
    const rest = JSON.parse(second.stdout) as Report;
    expect(rest.failed).toBe(0);
    expect(rest.earlier).toBe(partial.completed);
    expect(rest.completed).toBe(200 - partial.completed);
    // Only the rest was sent (a file whose PUT the interrupt cut is sent again, at most one per slot).
    expect(puts).toBeGreaterThan(0);
    expect(puts).toBeLessThanOrEqual(200 - partial.completed + 4);
    const done = rest.report.filter((r) => !r.earlier);
    for (const r of done.filter((_, i) => i % 25 === 0)) {
      expect(Buffer.compare(await readObject(e2e.stack, r.key!), files.get(r.path)!)).toBe(0);
    }
  });

  it('cat f | npm run -s upload -- - --name f.bin: the object is byte-exact, with the object header flags', async () => {
    const bytes = randomBytes(3 * 1024 * 1024 + 12_345, 77);
    const file = join(e2e.dir, 'piped.bin');
    writeFileSync(file, bytes);
    const env = await envFor('stdin');
    const res = await run(
      'sh',
      ['-c', `cat '${file}' | npm run -s upload -- - --name f.bin --part-size 1048576 --cache-control max-age=60`],
      env,
    ).exit;
    expect(res.code, res.stderr).toBe(0);
    const out = JSON.parse(res.stdout) as { id: string; key: string; size: number };
    expect(out.size).toBe(bytes.length);
    expect(out.key).toMatch(/\/f\.bin$/);
    expect(Buffer.compare(await readObject(e2e.stack, out.key), bytes)).toBe(0);
    // The object header flags reach a stdin upload's create too.
    const got = await fetch(`${e2e.stack.apiUrl}/v1/uploads/${out.id}`, {
      headers: { authorization: `Bearer ${env.UPLOADS_TOKEN}` },
    });
    expect(((await got.json()) as { upload: { cacheControl?: string } }).upload.cacheControl).toBe('max-age=60');
    expect(readFileSync(file).length).toBe(bytes.length);
  });
});
