import { spawn } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { bundleAll, formatSizes } from './bundle.ts';

/**
 * `npm run package [-- osls options]`: bundles every function, then `osls package` into
 * `.serverless/`, offline and with no AWS credentials. osls runs with build/no-network.ts
 * preloaded, so a configuration change that would need the network while packaging (an
 * `${ssm:}` variable, an account lookup) fails here, loudly, instead of silently needing keys.
 */
export interface PackageOptions {
  root: string;
  /** Passed to osls after `package`, e.g. ['--stage', 'prod', '--param', 'cosBucket=x-125']. */
  args?: readonly string[];
  /**
   * Package in this directory instead of the repository: it gets symlinks to the repository's
   * files, its own dist/lambda and its own .serverless. For tests — osls wipes `<service>/.serverless`
   * first, and a test must never replace a package someone built for a real stage.
   */
  isolatedDir?: string;
  /** Skip the bundle step (the zips in dist/lambda are reused). */
  skipBundle?: boolean;
  quiet?: boolean;
}

/** The repository's top-level entries, linked into `dir`, except what packaging writes. */
async function linkRepository(root: string, dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (const name of await readdir(root)) {
    if (name === '.serverless' || name === 'dist' || name === '.git') continue;
    // osls finds its config with lstat, so the config itself must be a real file.
    if (name === 'serverless.yml') await copyFile(join(root, name), join(dir, name));
    else await symlink(join(root, name), join(dir, name));
  }
}

/** Only what osls needs from the caller's environment: never its AWS profile or keys. */
function offlineEnv(root: string, home: string, report: string): NodeJS.ProcessEnv {
  const keep = ['PATH', 'LANG', 'TERM', 'TMPDIR', 'SystemRoot'];
  const env: NodeJS.ProcessEnv = {};
  for (const k of keep) if (process.env[k] !== undefined) env[k] = process.env[k];
  return {
    ...env,
    // A private HOME: osls may write its own state files there; nothing from a real profile leaks in.
    HOME: home,
    // Dummy keys: osls resolves the provider's credentials eagerly in places, but no call may be
    // made with them (the guard refuses any connection), so they can never authenticate anything.
    AWS_ACCESS_KEY_ID: 'AKIAOFFLINEPACKAGING',
    AWS_SECRET_ACCESS_KEY: 'offline-packaging-makes-no-aws-calls',
    AWS_SHARED_CREDENTIALS_FILE: join(home, 'no-credentials'),
    AWS_CONFIG_FILE: join(home, 'no-config'),
    AWS_EC2_METADATA_DISABLED: 'true',
    SLS_TELEMETRY_DISABLED: '1',
    SLS_NOTIFICATIONS_MODE: 'off',
    NO_NETWORK_REPORT: report,
    NODE_OPTIONS: `--import=${join(root, 'build', 'no-network.ts')}`,
  };
}

function run(cmd: string, args: string[], opts: { cwd: string; env: NodeJS.ProcessEnv; quiet: boolean }) {
  return new Promise<{ code: number; output: string }>((done, fail) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const collect = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      if (!opts.quiet) process.stderr.write(chunk);
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.on('error', fail);
    child.on('close', (code) => done({ code: code ?? 1, output }));
  });
}

export async function packageService(opts: PackageOptions): Promise<void> {
  const root = resolve(opts.root);
  const serviceDir = opts.isolatedDir ? resolve(opts.isolatedDir) : root;
  if (serviceDir !== root) await linkRepository(root, serviceDir);
  if (!opts.skipBundle) {
    const sizes = await bundleAll({ root, outDir: join(serviceDir, 'dist', 'lambda') });
    if (!opts.quiet) console.log(formatSizes(sizes));
  }
  const home = await mkdtemp(join(tmpdir(), 'osls-offline-'));
  const report = join(home, 'network-attempts.log');
  try {
    // process.execPath is the Node 24 that runs this script; osls then runs on it too.
    const osls = join(root, 'node_modules', 'osls', 'bin', 'serverless.js');
    const { code, output } = await run(process.execPath, [osls, 'package', ...(opts.args ?? [])], {
      cwd: serviceDir,
      env: offlineEnv(root, home, report),
      quiet: opts.quiet ?? false,
    });
    const attempts = (await readFile(report, 'utf8').catch(() => '')).trim();
    if (attempts) throw new Error(`osls package tried to use the network:\n${attempts}`);
    if (code !== 0) throw new Error(`osls package failed (exit ${code})${opts.quiet ? `:\n${output}` : ''}`);
  } finally {
    await rm(home, { recursive: true, force: true });
  }
}

if (import.meta.main) {
  try {
    await packageService({ root: resolve(import.meta.dirname, '..'), args: process.argv.slice(2) });
  } catch (e) {
    console.error(e instanceof Error ? e.message : e);
    process.exitCode = 1;
  }
}
