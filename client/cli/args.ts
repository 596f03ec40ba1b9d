import { parseArgs } from 'node:util';
import { UploadClientError } from '../errors.ts';

/** Parsed command line of `npm run upload`. */
export interface CliArgs {
  /** The file to upload. */
  file: string;
  /** The API base URL (`--api`, else `$UPLOADS_API_URL`). */
  api: string;
  /** The bearer token (`--token`, else `$UPLOADS_TOKEN`). */
  token: string;
  /** The upload id to continue (`--resume`). */
  resume?: string;
  concurrency?: number;
  partSize?: number;
  contentType?: string;
  /** `--append`: an append upload of a growing file (or `-`, stdin); see cli/append.ts. */
  append: boolean;
  /** `--idle-seconds`: with `--append`, a file unchanged this long is finished (default 5). */
  idleSeconds: number;
  /** `--help`: print the usage and exit 0. */
  help: boolean;
}

/** What `--help` and a usage error print. */
export const USAGE = `usage: npm run upload -- <file> [--api URL] [--token T] [--resume ID]
         [--concurrency N] [--part-size BYTES] [--content-type TYPE]
  --api       API base URL, without /v1 (default $UPLOADS_API_URL)
  --token     bearer token (default $UPLOADS_TOKEN, kept out of ps and history)
  --resume    continue this upload id (default: what an interrupted run saved)
  --append    append upload of a growing <file> (done once unchanged for
              --idle-seconds, default 5) or of stdin (<file> = -, done at EOF)
Progress and errors go to stderr; the completed upload (id, key, etag, crc64…)
is printed as JSON on stdout. Ctrl-C stops and keeps the upload: run the same
command again to resume.`;

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
  if (values.help) return { file: '', api: '', token: '', help: true, append: false, idleSeconds: 5 };
  if (positionals.length !== 1) throw usageError('expected exactly one file to upload');
  const api = values.api ?? env.UPLOADS_API_URL;
  const token = values.token ?? env.UPLOADS_TOKEN;
  if (!api) throw usageError('no API URL: pass --api or set UPLOADS_API_URL');
  if (!/^https?:\/\/[^/]/i.test(api)) throw usageError(`--api must be an http(s) URL, got ${api}`);
  if (!token) throw usageError('no token: pass --token or set UPLOADS_TOKEN');
  return {
    file: positionals[0]!,
    api,
    token,
    resume: values.resume,
    concurrency: positiveInt('concurrency', values.concurrency),
    partSize: positiveInt('part-size', values['part-size']),
    contentType: values['content-type'],
    append: values.append === true,
    idleSeconds: positiveInt('idle-seconds', values['idle-seconds']) ?? 5,
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
      append: { type: 'boolean' },
      'idle-seconds': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
