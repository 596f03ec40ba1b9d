import { parseArgs } from 'node:util';
import { UploadClientError } from '../errors.ts';

/** Parsed command line of `npm run upload`. */
export interface CliArgs {
  /** The first path given (the file, for one file). */
  file: string;
  /** Every path given: files, directories (uploaded recursively), or `-` for stdin. */
  files: string[];
  /** `--skip-existing`: files the server already has (same name, size, CRC64) are not sent. */
  skipExisting: boolean;
  /** `--name`: the object's file name when reading stdin (`-`). */
  name?: string;
  /** The API base URL (`--api`, else `$UPLOADS_API_URL`). */
  api: string;
  /** The bearer token (`--token`, else `$UPLOADS_TOKEN`). */
  token: string;
  /** The upload id to continue (`--resume`). */
  resume?: string;
  concurrency?: number;
  partSize?: number;
  contentType?: string;
  /** `--help`: print the usage and exit 0. */
  help: boolean;
}

/** What `--help` and a usage error print. */
export const USAGE = `usage: npm run upload -- <file|dir>... [--api URL] [--token T] [--resume ID]
         [--concurrency N] [--part-size BYTES] [--content-type TYPE] [--skip-existing]
       npm run upload -- - --name NAME   (reads stdin)
  --api            API base URL, without /v1 (default $UPLOADS_API_URL)
  --token          bearer token (default $UPLOADS_TOKEN, kept out of ps and history)
  --resume         continue this upload id (one file only; default: what an
                   interrupted run saved)
  --skip-existing  do not send files the server already has (same name, size, CRC64)
  --name           the object's file name for stdin
Directories are uploaded recursively. Progress and errors go to stderr; the
result is JSON on stdout: the completed upload (id, key, etag, crc64…) for one
file, a report with one entry per file for several. Ctrl-C stops and keeps the
uploads: run the same command again to resume (for a set: only the rest).`;

const usageError = (message: string) => new UploadClientError(null, 'INVALID_OPTIONS', message);

function positiveInt(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 1) throw usageError(`--${name} must be a positive integer, got ${v}`);
  return n;
}

/** Flags win over the environment; throws INVALID_OPTIONS with the usage on bad input. */
export function parseCliArgs(argv: string[], env: Record<string, string | undefined>): CliArgs {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (e) {
    throw usageError((e as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) return { file: '', files: [], skipExisting: false, api: '', token: '', help: true };
  if (positionals.length === 0) throw usageError('expected a file or directory to upload');
  if (positionals.includes('-') && positionals.length > 1) throw usageError('- (stdin) cannot be mixed with paths');
  if (positionals[0] === '-' && !values.name) throw usageError('stdin (-) needs --name');
  if (values.resume && positionals.length > 1) throw usageError('--resume takes one file');
  const api = values.api ?? env.UPLOADS_API_URL;
  const token = values.token ?? env.UPLOADS_TOKEN;
  if (!api) throw usageError('no API URL: pass --api or set UPLOADS_API_URL');
  if (!/^https?:\/\/[^/]/i.test(api)) throw usageError(`--api must be an http(s) URL, got ${api}`);
  if (!token) throw usageError('no token: pass --token or set UPLOADS_TOKEN');
  return {
    file: positionals[0]!,
    files: positionals,
    skipExisting: values['skip-existing'] === true,
    name: values.name,
    api,
    token,
    resume: values.resume,
    concurrency: positiveInt('concurrency', values.concurrency),
    partSize: positiveInt('part-size', values['part-size']),
    contentType: values['content-type'],
    help: false,
  };
}

const parse = (args: string[]) =>
  parseArgs({
    args,
    allowPositionals: true,
    options: {
      api: { type: 'string' },
      token: { type: 'string' },
      resume: { type: 'string' },
      concurrency: { type: 'string' },
      'part-size': { type: 'string' },
      'content-type': { type: 'string' },
      'skip-existing': { type: 'boolean' },
      name: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
