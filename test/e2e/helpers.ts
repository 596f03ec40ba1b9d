/**
 * Shared set-up for the e2e suites: the real local stack (API + COS emulator + SQLite) on free
 * loopback ports, reading objects back with the official COS SDK, and a fetch wrapper that counts
 * part PUTs. Each test file starts its own stack.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import COS from 'cos-nodejs-sdk-v5';
import { chromium } from 'playwright-core';
import type { FetchLike } from '../../client/types.ts';
import { LOCAL_SECRET_ID, LOCAL_SECRET_KEY } from '../../local/cos/defaults.ts';
import type { LocalStack } from '../../local/stack.ts';
import { startTestStack } from '../helpers/test-stack.ts';

export interface E2eStack {
  stack: LocalStack;
  dir: string;
  close(): Promise<void>;
}

/** The local stack (it serves the web page at `/` and `/app.js`) in a temp dir. */
export async function startE2eStack(env: Record<string, string> = {}): Promise<E2eStack> {
  const dir = mkdtempSync(join(tmpdir(), 'e2e-client-'));
  // The product's default part sizes: these suites upload the way a user would.
  const running = await startTestStack('e2e-client', { dataDir: join(dir, 'data'), smallParts: false, env });
  return {
    stack: running.stack,
    dir,
    close: async () => {
      await running.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Reads an object back through the official SDK pointed at the emulator (default bucket). */
export async function readObject(stack: LocalStack, key: string): Promise<Buffer> {
  const cos = new COS({
    SecretId: LOCAL_SECRET_ID,
    SecretKey: LOCAL_SECRET_KEY,
    Protocol: 'http',
    Domain: new URL(stack.cosUrl).host,
  });
  const res = await cos.getObject({ Bucket: stack.bucket, Region: stack.region, Key: key });
  return res.Body as Buffer;
}

/** Counts successful part PUTs by part number (single PUTs count as part 1). */
export function countingFetch(cosUrl: string): { fetch: FetchLike; puts: Map<number, number> } {
  const puts = new Map<number, number>();
  const fetchImpl: FetchLike = async (url, init) => {
    const res = await fetch(url, init);
    if (init?.method === 'PUT' && url.startsWith(cosUrl) && res.ok) {
      const n = Number(new URL(url).searchParams.get('partNumber') ?? 1);
      puts.set(n, (puts.get(n) ?? 0) + 1);
    }
    return res;
  };
  return { fetch: fetchImpl, puts };
}

/** Deterministic, incompressible-looking bytes (fast: one xorshift per 4 bytes). */
export function randomBytes(size: number, seed = 0x9e3779b9): Uint8Array {
  const out = new Uint8Array(size);
  const words = new Uint32Array(out.buffer, 0, Math.floor(size / 4));
  let x = seed >>> 0 || 1;
  for (let i = 0; i < words.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    words[i] = x >>> 0;
  }
  for (let i = words.length * 4; i < size; i++) out[i] = i & 0xff;
  return out;
}

/** How every e2e suite starts Debian's Chromium: headless, as root, and off this machine's closed network. */
export const launchChromium = () =>
  chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });

/** Runs one of the project's scripts (a CLI) on the project's Node 24; its exit code and both outputs. */
export function runScript(
  script: string,
  args: readonly string[],
  env: Record<string, string>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn('./node_modules/.bin/node', [script, ...args], {
    cwd: join(import.meta.dirname, '../..'),
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}
