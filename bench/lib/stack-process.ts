import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface StackInfo {
  apiUrl: string;
  cosUrl: string;
  bucketUrl: string;
  bucket: string;
  region: string;
  token: string;
  /** Tokens of the extra owners asked for, by owner. */
  tokens: Record<string, string>;
}

/** Starts bench/lib/stack-server.ts in a child process and waits for its URLs (and `owners`' tokens). */
export function stackProcess(
  env: Record<string, string> = {},
  owners: readonly string[] = [],
): Promise<StackInfo & { stop(): Promise<void> }> {
  const script = fileURLToPath(new URL('./stack-server.ts', import.meta.url));
  const child = spawn(process.execPath, [script, JSON.stringify(env), JSON.stringify(owners)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const exited = new Promise<void>((res) => child.once('exit', () => res()));
  const stop = async () => {
    child.stdin.end();
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
  };
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (d: string) => {
      out += d;
      const nl = out.indexOf('\n');
      if (nl >= 0) resolve({ ...(JSON.parse(out.slice(0, nl)) as StackInfo), stop });
    });
    child.once('error', reject);
    void exited.then(() => reject(new Error('stack process exited before it was ready')));
  });
}
