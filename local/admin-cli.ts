/**
 * The operator's CLI for the admin API (package.json: `"admin": "node local/admin-cli.ts"`):
 *
 *   npm run admin -- list [--state open] [--owner x] [--created-before ISO] [--limit N] [--cursor C] [--all] [--json]
 *   npm run admin -- abort <id>
 *   npm run admin -- sweep [--dry-run] [--older-than 2h] [--cursor C]
 *   npm run admin -- quota-repair <owner>...
 *
 * Talks HTTP to `--api` (else UPLOADS_API_URL, else http://127.0.0.1:8787) with `--token` (else
 * UPLOADS_TOKEN: an admin token, e.g. `npm run token -- --admin`), as the upload CLI does. Exit
 * codes: 0 done, 1 the API refused (its contract error is printed to stderr as JSON), 2 bad usage.
 */
import { type ParseArgsOptionsConfig, parseArgs } from 'node:util';

export const USAGE = `usage: npm run admin -- <command> [options] [--api URL] [--token T]
  list   [--state S] [--owner X] [--created-before ISO] [--limit N] [--cursor C]
         [--all] [--json]
  abort  <upload id>
  sweep  [--dry-run] [--older-than 2h] [--cursor C]
  quota-repair <owner>...   recount owners' quota counters from their uploads
  --api     API base URL, no /v1 (default $UPLOADS_API_URL, else 127.0.0.1:8787)
  --token   an uploads:admin token (default $UPLOADS_TOKEN; npm run token -- --admin)
  --help    this text
A dry-run sweep changes nothing and lists what it would do: wouldAbort (idle
uploads), wouldExpire, wouldAbortOrphans (COS uploads no open upload owns).`;

class UsageError extends Error {}
/** The API answered with its contract error (or could not be reached). */
class ApiFailure extends Error {
  readonly body: unknown;
  constructor(body: unknown) {
    super('api failure');
    this.body = body;
  }
}

const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 };

/** `90`, `90s`, `15m`, `2h`, `7d`, `1w` → seconds. */
export function parseDuration(text: string): number {
  const m = /^(\d+)([smhdw]?)$/.exec(text.trim());
  if (!m) throw new UsageError(`--older-than: '${text}' is not a duration like 90s, 15m, 2h or 7d`);
  return Number(m[1]) * (UNITS[m[2] || 's'] ?? 1);
}

interface Io {
  env: Record<string, string | undefined>;
  out: (s: string) => void;
  err: (s: string) => void;
}

/** Where and as whom the commands talk: `--api`/`--token`, else the environment. */
interface Target {
  api?: string;
  token?: string;
}

/** A command's context: the I/O and the target. */
interface Ctx extends Io {
  target: Target;
}

interface AdminUpload {
  id: string;
  owner: string;
  state: string;
  strategy: string;
  size: number | null;
  fileName: string;
  createdAt: string;
  lastActivityAt: string;
}

function client(io: Ctx) {
  const base = (io.target.api || io.env.UPLOADS_API_URL || 'http://127.0.0.1:8787').replace(/\/+$/, '');
  if (!/^https?:\/\/[^/]/i.test(base)) throw new UsageError(`--api must be an http(s) URL, got ${base}`);
  const token = io.target.token || io.env.UPLOADS_TOKEN;
  if (!token) {
    throw new UsageError('no token: pass --token or set UPLOADS_TOKEN (an admin token: npm run token -- --admin)');
  }
  const v1 = /\/v1$/i.test(base) ? ` (drop /v1 from the API URL: --api ${base.slice(0, -3)})` : '';
  return async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    let res: Response;
    try {
      res = await fetch(`${base}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (e) {
      const message = `cannot reach ${base}: ${e instanceof Error ? (e.cause instanceof Error ? e.cause.message : e.message) : String(e)}`;
      throw new ApiFailure({ error: { code: 'UNREACHABLE', message, details: {} } });
    }
    const text = await res.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : null;
    } catch {
      json = { error: { code: 'BAD_RESPONSE', message: `HTTP ${res.status}: not JSON`, details: {} } };
    }
    if (res.status === 404 && v1) {
      throw new ApiFailure({
        error: { code: 'NOT_FOUND', message: `${method} ${base}${path}: 404${v1}`, details: {} },
      });
    }
    if (!res.ok)
      throw new ApiFailure(json ?? { error: { code: 'HTTP_ERROR', message: `HTTP ${res.status}`, details: {} } });
    return json as T;
  };
}

function table(rows: AdminUpload[]): string {
  const cols: [string, (u: AdminUpload) => string][] = [
    ['ID', (u) => u.id],
    ['OWNER', (u) => u.owner],
    ['STATE', (u) => u.state],
    ['STRATEGY', (u) => u.strategy],
    ['SIZE', (u) => (u.size === null ? '?' : String(u.size))],
    ['CREATED', (u) => u.createdAt],
    ['LAST ACTIVITY', (u) => u.lastActivityAt],
    ['FILE', (u) => u.fileName],
  ];
  const cells = [cols.map(([h]) => h), ...rows.map((r) => cols.map(([, f]) => f(r).replace(/[\r\n\t]/g, ' ')))];
  const widths = cols.map((_, i) => Math.max(...cells.map((c) => c[i]!.length)));
  return cells.map((c) => c.map((v, i) => (i === c.length - 1 ? v : v.padEnd(widths[i]!))).join('  ')).join('\n');
}

const LIST_OPTIONS = {
  state: { type: 'string' },
  owner: { type: 'string' },
  'created-before': { type: 'string' },
  limit: { type: 'string' },
  cursor: { type: 'string' },
  all: { type: 'boolean', default: false },
  json: { type: 'boolean', default: false },
} as const;

async function list(args: string[], io: Ctx): Promise<void> {
  const { values } = parseCommand('list', args, LIST_OPTIONS);
  const call = client(io);
  const query = new URLSearchParams();
  if (values.state) query.set('state', values.state);
  if (values.owner) query.set('owner', values.owner);
  if (values['created-before']) query.set('createdBefore', values['created-before']);
  if (values.limit) query.set('limit', values.limit);
  let cursor = values.cursor ?? null;
  const uploads: AdminUpload[] = [];
  do {
    if (cursor) query.set('cursor', cursor);
    const page = await call<{ uploads: AdminUpload[]; nextCursor: string | null }>('GET', `/v1/admin/uploads?${query}`);
    uploads.push(...page.uploads);
    cursor = page.nextCursor;
  } while (values.all && cursor);
  if (values.json) {
    io.out(`${JSON.stringify({ uploads, nextCursor: cursor }, null, 2)}\n`);
    return;
  }
  io.out(`${table(uploads)}\n`);
  io.out(`${uploads.length} upload(s)${cursor ? `; more with --cursor ${cursor}` : ''}\n`);
}

async function abort(args: string[], io: Ctx): Promise<void> {
  const { positionals } = parseCommand('abort', args, {}, true);
  const [id, ...extra] = positionals;
  if (!id || extra.length > 0) throw new UsageError('abort needs exactly one upload id');
  await client(io)('DELETE', `/v1/admin/uploads/${encodeURIComponent(id)}`);
  io.out(`${JSON.stringify({ aborted: id })}\n`);
}

const SWEEP_OPTIONS = {
  'dry-run': { type: 'boolean', default: false },
  'older-than': { type: 'string' },
  cursor: { type: 'string' },
} as const;

/**
 * A dry run changes nothing, yet the API lists what it would change under the names of the done
 * deed (`aborted`…): the CLI says `wouldAbort` so nobody reads a dry run as a real one.
 */
const DRY_RUN_NAMES: Record<string, string> = {
  aborted: 'wouldAbort',
  expired: 'wouldExpire',
  orphans: 'wouldAbortOrphans',
  redriven: 'wouldRedrive',
};

export function presentSweep(report: unknown): unknown {
  if (typeof report !== 'object' || report === null || (report as { dryRun?: unknown }).dryRun !== true) return report;
  return Object.fromEntries(Object.entries(report).map(([k, v]) => [DRY_RUN_NAMES[k] ?? k, v]));
}

async function sweepCmd(args: string[], io: Ctx): Promise<void> {
  const { values } = parseCommand('sweep', args, SWEEP_OPTIONS);
  const body: Record<string, unknown> = { dryRun: values['dry-run'] };
  if (values['older-than'] !== undefined) body.olderThanSeconds = parseDuration(values['older-than']);
  if (values.cursor) body.cursor = values.cursor;
  const report = await client(io)<unknown>('POST', '/v1/admin/sweep', body);
  io.out(`${JSON.stringify(presentSweep(report), null, 2)}\n`);
}

/** One repair per owner named (the owner is the token's `sub`), each report a line of JSON. */
async function quotaRepair(args: string[], io: Ctx): Promise<void> {
  const { positionals } = parseCommand('quota-repair', args, {}, true);
  if (positionals.length === 0) throw new UsageError('quota-repair needs at least one owner');
  const call = client(io);
  for (const owner of positionals) {
    io.out(`${JSON.stringify(await call<unknown>('POST', '/v1/admin/quota-repair', { owner }))}
`);
  }
}

/** parseArgs for one command, its errors in words naming that command's own flags. */
function parseCommand<O extends ParseArgsOptionsConfig>(
  command: string,
  args: string[],
  options: O,
  positionals = false,
) {
  try {
    return parseArgs({ args, options, allowPositionals: positionals, strict: true });
  } catch (e) {
    const flags = Object.keys(options).map((k) => `--${k}`);
    const known = flags.length > 0 ? `its options: ${flags.join(', ')}` : 'it takes no options';
    const code = (e as { code?: string }).code;
    const name = /'(-[^']*)'/.exec((e as Error).message)?.[1];
    if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') throw new UsageError(`${command}: unknown option ${name}; ${known}`);
    if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') {
      throw new UsageError(`${command}: unexpected argument ${name ?? ''}; ${known}`);
    }
    if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
      const flag = name?.split(' ')[0] ?? '';
      const missing = /argument missing/.test((e as Error).message);
      throw new UsageError(`${command}: ${flag} ${missing ? 'needs a value' : 'takes no value'}; ${known}`);
    }
    throw e;
  }
}

/** Takes `--api`, `--token` (either `--x v` or `--x=v`) and `--help` from anywhere in argv. */
function globalFlags(argv: string[]): { target: Target; help: boolean; rest: string[] } {
  const target: Target = {};
  let help = false;
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      rest.push(...argv.slice(i));
      break;
    }
    if (arg === '--help' || arg === '-h') {
      help = true;
      continue;
    }
    const m = /^--(api|token)(?:=(.*))?$/.exec(arg);
    if (!m) {
      rest.push(arg);
      continue;
    }
    const value = m[2] ?? argv[++i];
    if (value === undefined || value === '' || (m[2] === undefined && value.startsWith('--'))) {
      throw new UsageError(`--${m[1]} needs a value`);
    }
    target[m[1] as 'api' | 'token'] = value;
  }
  return { target, help, rest };
}

const COMMANDS: Record<string, (args: string[], io: Ctx) => Promise<void>> = {
  list,
  abort,
  sweep: sweepCmd,
  'quota-repair': quotaRepair,
};

/** Runs one command; returns the exit code. */
export async function runAdminCli(argv: string[], io: Io): Promise<number> {
  try {
    const { target, help, rest } = globalFlags(argv);
    if (help) {
      io.out(`${USAGE}\n`);
      return 0;
    }
    const [name, ...args] = rest;
    const command = name && Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
    if (!command) {
      io.err(`${name ? `unknown command '${name}': list, abort or sweep\n` : ''}${USAGE}\n`);
      return 2;
    }
    await command(args, { ...io, target });
    return 0;
  } catch (e) {
    if (e instanceof ApiFailure) {
      io.err(`${JSON.stringify(e.body)}\n`);
      return 1;
    }
    if (e instanceof UsageError) {
      io.err(`${e.message}\n${USAGE}\n`);
      return 2;
    }
    throw e;
  }
}

if (import.meta.main) {
  process.exitCode = await runAdminCli(process.argv.slice(2), {
    env: process.env,
    out: (s) => process.stdout.write(s),
    err: (s) => process.stderr.write(s),
  });
}
