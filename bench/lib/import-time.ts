import { execFile } from 'node:child_process';
import { pathToFileURL } from 'node:url';

export interface ImportTiming {
  /** ms to import the entry module (what Lambda's init phase runs). */
  entryMs: number;
  /** CPU ms of the main thread over the same span as entryMs. */
  entryCpuMs: number;
  /** ms to import the entry and then the given lazily loaded modules (first use). */
  firstUseMs: number;
  /** CPU ms of the main thread over the same span as firstUseMs (helper threads not counted). */
  firstUseCpuMs: number;
}

/**
 * Imports `entry`, then each of `lazy`, in a fresh Node process and reports the times measured
 * inside it — process start-up itself is Node's, the same for every bundle, and excluded.
 */
export function importTiming(
  entry: string,
  lazy: readonly string[],
  env: Record<string, string> = {},
): Promise<ImportTiming> {
  const urls = [entry, ...lazy].map((f) => pathToFileURL(f).href);
  const script = `
    const urls = ${JSON.stringify(urls)};
    const c0 = process.threadCpuUsage();
    const t0 = performance.now();
    await import(urls[0]);
    const t1 = performance.now();
    const c1 = process.threadCpuUsage(c0);
    for (const u of urls.slice(1)) await import(u);
    const t2 = performance.now();
    const c2 = process.threadCpuUsage(c0);
    const ms = (c) => (c.user + c.system) / 1000;
    process.stdout.write(JSON.stringify({ entryMs: t1 - t0, entryCpuMs: ms(c1), firstUseMs: t2 - t0, firstUseCpuMs: ms(c2) }));
  `;
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--input-type=module', '--no-warnings', '-e', script],
      { env: { PATH: process.env.PATH ?? '', NODE_ENV: 'production', ...env }, timeout: 30_000 },
      (err, stdout, stderr) => {
        if (err) return reject(new Error(`importing ${entry} failed: ${stderr || err.message}`));
        try {
          resolve(JSON.parse(stdout) as ImportTiming);
        } catch {
          reject(new Error(`importing ${entry}: unexpected output ${stdout.slice(0, 200)}`));
        }
      },
    );
  });
}
