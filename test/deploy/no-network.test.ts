import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');
const node = join(root, 'node_modules', '.bin', 'node');

/** Runs `script` in a fresh Node 24 with the packaging guard preloaded; returns its stdout and the guard's report. */
function guarded(script: string, dir: string): Promise<{ out: string; report: string }> {
  const report = join(dir, `report-${Math.random().toString(36).slice(2)}.log`);
  return new Promise((done, fail) => {
    const child = spawn(node, ['--import', join(root, 'build', 'no-network.ts'), '--input-type=module', '-e', script], {
      env: { PATH: process.env.PATH, NO_NETWORK_REPORT: report },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString('utf8');
    });
    child.on('error', fail);
    child.on('close', () => {
      let text = '';
      try {
        text = readFileSync(report, 'utf8');
      } catch {
        // No report: the child died before writing one; `out` says why.
      }
      done({ out: out.trim(), report: text });
    });
  });
}

// The proof that `npm run package` makes no network call rests on this guard; so prove the guard.
describe('build/no-network.ts', () => {
  let dir: string;
  let server: Server;
  let port: number;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'no-network-'));
    server = createServer((_req, res) => res.end('loopback ok'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await new Promise((r) => server.close(r));
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses and reports fetch, https and raw TCP to any non-loopback host', async () => {
    // TEST-NET addresses and a reserved name: nothing real is ever contacted, even if the guard failed.
    const script = `
      import https from 'node:https'; import net from 'node:net';
      const r = [];
      await fetch('http://192.0.2.1:81/').then(() => r.push('fetch ok'), () => r.push('fetch refused'));
      await new Promise((d) => https.get('https://example.invalid/', () => { r.push('https ok'); d(); })
        .on('error', () => { r.push('https refused'); d(); }));
      await new Promise((d) => net.connect(9, '198.51.100.7').on('connect', () => { r.push('tcp ok'); d(); })
        .on('error', () => { r.push('tcp refused'); d(); }));
      console.log(r.join(','));`;
    const { out, report } = await guarded(script, dir);
    expect(out).toBe('fetch refused,https refused,tcp refused');
    expect(report).toMatch(/192\.0\.2\.1/);
    expect(report).toMatch(/example\.invalid/);
    expect(report).toMatch(/198\.51\.100\.7/);
  });

  it('lets loopback through untouched', async () => {
    const script = `const res = await fetch('http://127.0.0.1:${port}/'); console.log(await res.text());`;
    const { out, report } = await guarded(script, dir);
    expect(out).toBe('loopback ok');
    expect(report).toBe('');
  });
});
