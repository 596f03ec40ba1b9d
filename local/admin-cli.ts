/**
 * The operator's CLI for the admin API (package.json: `"admin": "node local/admin-cli.ts"`):
 *
 *   npm run admin -- list [--state open] [--owner x] [--created-before ISO] [--limit N] [--cursor C] [--all] [--json]
 *   npm run admin -- abort <id>
 *   npm run admin -- sweep [--dry-run] [--older-than 2h] [--cursor C]
 *
 * Talks HTTP to UPLOADS_API_URL (default http://127.0.0.1:8787) with UPLOADS_TOKEN (an admin
 * token, e.g. `npm run token -- --admin`). Exit codes: 0 done, 1 the API refused (its contract
 * error is printed to stderr as JSON), 2 bad usage.
 */
import { parseArgs } from 'node:util';

const USAGE = `usage: npm run admin -- <command> [options]
  list   [--state S] [--owner X] [--created-before ISO] [--limit N] [--cursor C] [--all] [--json]
  abort  <upload id>
  sweep  [--dry-run] [--older-than 2h] [--cursor C]
env: UPLOADS_API_URL (default http://127.0.0.1:8787), UPLOADS_TOKEN (a token with the uploads:admin scope)`;

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

function client(io: Io) {
  const base = (io.env.UPLOADS_API_URL || 'http://127.0.0.1:8787').replace(/\/+$/, '');
  const token = io.env.UPLOADS_TOKEN;
  if (!token) throw new UsageError('UPLOADS_TOKEN is not set (an admin token: npm run token -- --admin)');
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

async function list(args: string[], io: Io): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      state: { type: 'string' },
      owner: { type: 'string' },
      'created-before': { type: 'string' },
      limit: { type: 'string' },
      cursor: { type: 'string' },
      all: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
    },
  });
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

async function abort(args: string[], io: Io): Promise<void> {
  const { positionals } = parseArgs({ args, allowPositionals: true, options: {} });
  const [id, ...extra] = positionals;
  if (!id || extra.length > 0) throw new UsageError('abort needs exactly one upload id');
  await client(io)('DELETE', `/v1/admin/uploads/${encodeURIComponent(id)}`);
  io.out(`${JSON.stringify({ aborted: id })}\n`);
}

async function sweepCmd(args: string[], io: Io): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      'dry-run': { type: 'boolean', default: false },
      'older-than': { type: 'string' },
      cursor: { type: 'string' },
    },
  });
  const body: Record<string, unknown> = { dryRun: values['dry-run'] };
  if (values['older-than'] !== undefined) body.olderThanSeconds = parseDuration(values['older-than']);
  if (values.cursor) body.cursor = values.cursor;
  const report = await client(io)<unknown>('POST', '/v1/admin/sweep', body);
  io.out(`${JSON.stringify(report, null, 2)}\n`);
}

const COMMANDS: Record<string, (args: string[], io: Io) => Promise<void>> = { list, abort, sweep: sweepCmd };

/** Runs one command; returns the exit code. */
export async function runAdminCli(argv: string[], io: Io): Promise<number> {
  const [name, ...rest] = argv;
  const command = name ? COMMANDS[name] : undefined;
  if (!command || name === 'help') {
    io.err(`${name && name !== 'help' ? `unknown command '${name}'\n` : ''}${USAGE}\n`);
    return 2;
  }
  try {
    await command(rest, io);
    return 0;
  } catch (e) {
    if (e instanceof ApiFailure) {
      io.err(`${JSON.stringify(e.body)}\n`);
      return 1;
    }
    // parseArgs throws TypeErrors with a `code` for unknown or malformed options.
    if (
      e instanceof UsageError ||
      (e instanceof TypeError && 'code' in e && String(e.code).startsWith('ERR_PARSE_ARGS'))
    ) {
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
