import { spawn } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, symlink } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ConfigError, parseConfig } from '../shared/config.ts';
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

/** A bad `--param`, or a params block whose values the runtime would refuse. */
export class ParamError extends Error {
  override readonly name = 'ParamError';
}

/** The stage and `--param name=value` pairs of osls's command line (both `--x v` and `--x=v`). */
export function paramArgs(args: readonly string[]): { stage: string; params: [string, string][] } {
  let stage = 'dev';
  const params: [string, string][] = [];
  for (let i = 0; i < args.length; i++) {
    const m = /^(--stage|-s|--param)(?:=(.*))?$/.exec(args[i]!);
    if (!m) continue;
    const value = m[2] ?? args[++i];
    if (value === undefined) throw new ParamError(`${m[1]} needs a value`);
    if (m[1] !== '--param') {
      stage = value;
      continue;
    }
    const eq = value.indexOf('=');
    if (eq < 1) throw new ParamError(`--param ${value}: expected --param="name=value"`);
    params.push([value.slice(0, eq), value.slice(eq + 1)]);
  }
  return { stage, params };
}

/** Stand-ins for what CloudFormation fills in at deploy time, shaped as the schema wants them. */
const DEPLOY_TIME = {
  ssm: 'resolved-from-ssm-at-deploy-time',
  ref: 'cos-uploads-table',
};
/** Stand-ins for params passed as `{{resolve:ssm:...}}`, where the variable has a required form. */
const DEPLOY_TIME_PARAM: Record<string, string> = {
  WEBHOOK_SECRET: `whsec_${Buffer.alloc(24).toString('base64')}`,
};
/** CloudWatch Logs' only retention values. */
const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
];
const TABLE_RETENTION = ['Retain', 'Delete', 'RetainExceptOnCreate'];

interface ServerlessYml {
  params?: Record<string, Record<string, unknown> | undefined>;
  provider?: { environment?: Record<string, unknown> };
}

/**
 * Checks the params before anything is built, with the runtime's own schema (shared/config.ts
 * `parseConfig`): `params.default`, then `params.<stage>`, then each `--param`, mapped to
 * variables exactly as `provider.environment` in serverless.yml maps them (`VAR: ${param:name}`).
 * The SSM secrets and the table's `Ref` are CloudFormation's at deploy time and stand in here. A
 * `--param` that serverless.yml does not define (a typo osls would silently ignore) is refused too,
 * and so are the two params that are not variables: `logRetentionInDays` and `tableRetention`.
 */
export async function checkParams(root: string, args: readonly string[] = []): Promise<void> {
  const { stage, params: given } = paramArgs(args);
  // osls's own YAML parser, resolved from osls so it is the one that reads serverless.yml.
  const yaml = createRequire(join(root, 'node_modules', 'osls', 'package.json'))('js-yaml') as {
    load(text: string): unknown;
  };
  const sls = yaml.load(await readFile(join(root, 'serverless.yml'), 'utf8')) as ServerlessYml;
  const values = new Map<string, { value: string; from: string }>();
  for (const [from, block] of [
    ['params.default', sls.params?.default],
    [`params.${stage}`, sls.params?.[stage]],
  ] as const) {
    for (const [k, v] of Object.entries(block ?? {})) values.set(k, { value: String(v ?? ''), from });
  }
  const known = [...values.keys()];
  const problems: string[] = [];
  for (const [k, v] of given) {
    if (!values.has(k)) problems.push(`${k}: not a param of serverless.yml (known: ${known.join(', ')})`);
    else values.set(k, { value: v, from: '--param' });
  }
  const describe = (name: string) => {
    const p = values.get(name);
    return p ? `${name}=${JSON.stringify(p.value)} (${p.from})` : name;
  };
  const env: Record<string, string> = {};
  const paramOf = new Map<string, string>();
  for (const [variable, raw] of Object.entries(sls.provider?.environment ?? {})) {
    if (typeof raw !== 'string') env[variable] = DEPLOY_TIME.ref;
    else if (raw.includes('{{resolve:ssm:')) env[variable] = DEPLOY_TIME.ssm;
    else {
      const m = /^\$\{param:([A-Za-z0-9_]+)\}$/.exec(raw);
      if (m) {
        paramOf.set(variable, m[1]!);
        const value = values.get(m[1]!)?.value ?? '';
        // A param given as an SSM dynamic reference (the webhook secret) is CloudFormation's to fill in.
        env[variable] = value.includes('{{resolve:ssm:') ? (DEPLOY_TIME_PARAM[variable] ?? DEPLOY_TIME.ssm) : value;
      } else if (!raw.includes('${')) env[variable] = raw;
    }
  }
  try {
    parseConfig(env);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    for (const line of e.message.split('\n').slice(1)) {
      const m = /^\s*([A-Z0-9_]+): (.*)$/.exec(line);
      const param = m ? paramOf.get(m[1]!) : undefined;
      problems.push(m && param ? `${describe(param)} → ${m[1]}: ${m[2]}` : line.trim());
    }
  }
  const days = values.get('logRetentionInDays');
  if (days && !LOG_RETENTION_DAYS.includes(Number(days.value))) {
    problems.push(`${describe('logRetentionInDays')}: must be one of ${LOG_RETENTION_DAYS.join(', ')}`);
  }
  const retention = values.get('tableRetention');
  if (retention && !TABLE_RETENTION.includes(retention.value)) {
    problems.push(`${describe('tableRetention')}: must be ${TABLE_RETENTION.join(' or ')}`);
  }
  if (problems.length > 0) {
    throw new ParamError(
      `invalid params for stage ${stage} (checked as the functions will read them, shared/config.ts):\n  ${problems.join('\n  ')}`,
    );
  }
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
  // Before the bundles: a bad param fails in a second, not after the build.
  await checkParams(root, opts.args);
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
