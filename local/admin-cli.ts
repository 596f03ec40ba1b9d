/**
 * The operator's CLI for the admin API (package.json: `"admin": "node local/admin-cli.ts"`):
 *
 *   npm run admin -- list [--state open] [--owner x] [--created-before ISO] [--limit N] [--cursor C] [--all] [--json]
 *   npm run admin -- abort <id>
 *   npm run admin -- sweep [--dry-run] [--older-than 2h] [--cursor C]
 *   npm run admin -- quota-repair <owner>...
 *   npm run admin -- events [--state failed] [--limit N] [--cursor C] [--all] [--json]
 *   npm run admin -- redeliver <event id>
 *
 * Talks HTTP to `--api` (else UPLOADS_API_URL, else http://127.0.0.1:8787) with `--token` (else
 * UPLOADS_TOKEN: an admin token, e.g. `npm run token -- --admin`), as the upload CLI does. Exit
 * codes: 0 done, 1 the API refused (its contract error is printed to stderr as JSON), 2 bad usage.
 * This file is the dispatcher; each command is a file of local/admin/.
 */
import { abort } from './admin/abort.ts';
import { ApiFailure, UsageError } from './admin/cli-errors.ts';
import type { Command, Io, Target } from './admin/ctx.ts';
import { events } from './admin/events.ts';
import { list } from './admin/list.ts';
import { quotaRepair } from './admin/quota-repair.ts';
import { redeliver } from './admin/redeliver.ts';
import { sweep } from './admin/sweep.ts';

export const USAGE = `usage: npm run admin -- <command> [options] [--api URL] [--token T]
  list   [--state S] [--owner X] [--created-before ISO] [--limit N] [--cursor C]
         [--all] [--json]
  abort  <upload id>
  sweep  [--dry-run] [--older-than 2h] [--cursor C]
  quota-repair <owner>...   recount owners' quota counters from their uploads
  events [--state pending|delivered|failed] [--limit N] [--cursor C] [--all] [--json]
  redeliver <event id>
  --api     API base URL, no /v1 (default $UPLOADS_API_URL, else 127.0.0.1:8787)
  --token   an uploads:admin token (default $UPLOADS_TOKEN; npm run token -- --admin)
  --help    this text
A dry-run sweep changes nothing and lists what it would do: wouldAbort (idle
uploads), wouldExpire, wouldAbortOrphans (COS uploads no open upload owns).`;

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

const COMMANDS: Record<string, Command> = {
  list,
  abort,
  sweep,
  'quota-repair': quotaRepair,
  events,
  redeliver,
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
      io.err(`${name ? `unknown command '${name}': list, abort, sweep, events or redeliver\n` : ''}${USAGE}\n`);
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
