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
  /** Object headers (`--storage-class`, `--cache-control`, ...), passed to create as given. */
  objectHeaders: ObjectHeaderArgs;
  /** `--md5`: each part URL binds the part's Content-MD5. */
  md5: boolean;
  /** `--profile`: the server's upload profile for the files. */
  profile?: string;
  /** `--limit-rate`, converted to the API's bits/s. */
  trafficLimit?: number;
  /** `--append`: an append upload of a growing file (or `-`, stdin); see cli/append.ts. */
  append: boolean;
  /** `--idle-seconds`: with `--append`, a file unchanged this long is finished (default 5). */
  idleSeconds: number;
  /** `--help`: print the usage and exit 0. */
  help: boolean;
}

/** The object header flags and the upload options they set. */
const HEADER_FLAGS = {
  'storage-class': 'storageClass',
  'cache-control': 'cacheControl',
  'content-disposition': 'contentDisposition',
  'content-encoding': 'contentEncoding',
  'content-language': 'contentLanguage',
  expires: 'expires',
} as const;
/** The upload options the object header flags set (storageClass, cacheControl, ...). */
export type ObjectHeaderArgs = Partial<Record<(typeof HEADER_FLAGS)[keyof typeof HEADER_FLAGS], string>>;

/** What `--help` and a usage error print. */
export const USAGE = `usage: npm run upload -- <file|dir>... [--api URL] [--token T] [--resume ID]
         [--concurrency N] [--part-size BYTES] [--content-type TYPE] [--skip-existing]
         [--storage-class CLASS] [--cache-control V] [--content-disposition V]
         [--content-encoding V] [--content-language V] [--expires HTTP-DATE]
         [--md5] [--limit-rate RATE] [--profile NAME]
       npm run upload -- - --name NAME   (reads stdin)
       npm run upload -- --append <file|-> [--idle-seconds N]
  --api            API base URL, without /v1 (default $UPLOADS_API_URL)
  --token          bearer token (default $UPLOADS_TOKEN, kept out of ps and history)
  --resume         continue this upload id (one file only; default: what an
                   interrupted run saved)
  --skip-existing  do not send files the server already has (same name, size, CRC64)
  --name           the object's file name for stdin
  --storage-class, --cache-control, --content-disposition, --content-encoding,
  --content-language, --expires
                   object headers the server sets on the object (a storage class
                   the server allows; --expires like "Tue, 01 Dec 2026 00:00:00 GMT")
  --profile        the server's upload profile for the files (its limits, quota
                   and key segment; GET /v1/limits lists them)
  --md5            bind each part's MD5: COS refuses bytes changed on the way
  --limit-rate     cap each part PUT, in BYTES per second as curl's --limit-rate:
                   a number with K, M or G (x1024), 100K to 100M (COS's range)
  --append         append upload of a growing <file> (done once unchanged for
                   --idle-seconds, default 5) or of stdin (<file> = -, done at EOF)
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

/**
 * `--limit-rate` as curl reads it: bytes per second, `K`/`M`/`G` suffixes in 1024s (`100K`,
 * `8M`). The API's `trafficLimit` is bits/s, so it is multiplied by 8; COS's range, 819200 –
 * 838860800 bits/s, is exactly 100K – 100M here.
 */
export function limitRateBits(v: string): number {
  const m = /^(\d+(?:\.\d+)?)([kmg])?$/i.exec(v.trim());
  const scale = { k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[(m?.[2] ?? '').toLowerCase() as 'k' | 'm' | 'g'] ?? 1;
  const bits = m ? Math.round(Number(m[1]) * scale * 8) : Number.NaN;
  if (!(bits >= 819_200 && bits <= 838_860_800)) {
    throw usageError(`--limit-rate must be 100K to 100M bytes per second (e.g. 8M), got ${v}`);
  }
  return bits;
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
  if (values.help) {
    const none = { file: '', files: [], skipExisting: false, api: '', token: '', objectHeaders: {}, md5: false };
    return { ...none, help: true, append: false, idleSeconds: 5 };
  }
  if (positionals.length === 0) throw usageError('expected a file or directory to upload');
  if (positionals.includes('-') && positionals.length > 1) throw usageError('- (stdin) cannot be mixed with paths');
  if (values.append && positionals.length > 1) throw usageError('--append takes one file (or -)');
  if (positionals[0] === '-' && !values.name && !values.append) throw usageError('stdin (-) needs --name');
  if (values.resume && positionals.length > 1) throw usageError('--resume takes one file');
  if ((values.md5 || values['limit-rate']) && (positionals[0] === '-' || values.append)) {
    throw usageError('--md5 and --limit-rate apply to files and sets (not stdin or --append)');
  }
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
    objectHeaders: Object.fromEntries(
      Object.entries(HEADER_FLAGS).flatMap(([flag, option]) => {
        const v = values[flag as keyof typeof HEADER_FLAGS];
        return v === undefined ? [] : [[option, v]];
      }),
    ),
    md5: values.md5 === true,
    ...(values.profile === undefined ? {} : { profile: values.profile }),
    trafficLimit: values['limit-rate'] === undefined ? undefined : limitRateBits(values['limit-rate']),
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
      'storage-class': { type: 'string' },
      'cache-control': { type: 'string' },
      'content-disposition': { type: 'string' },
      'content-encoding': { type: 'string' },
      'content-language': { type: 'string' },
      expires: { type: 'string' },
      md5: { type: 'boolean' },
      'limit-rate': { type: 'string' },
      profile: { type: 'string' },
      append: { type: 'boolean' },
      'idle-seconds': { type: 'string' },
      'skip-existing': { type: 'boolean' },
      name: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
