/**
 * `npm run download -- <upload id> [out] [--api URL] [--token T] [--force]`: fetches a completed
 * upload's object through a download URL (POST /v1/uploads/{id}/download-url) and writes it to
 * `out` (default: the upload's file name in the current directory). Prints `{ id, path, size }`
 * as JSON on stdout; errors go to stderr with exit code 1 (2 for usage).
 */
import { createWriteStream, existsSync } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';

const USAGE = `usage: npm run download -- <upload id> [out] [--api URL] [--token T] [--force]
  --api     API base URL, without /v1 (default $UPLOADS_API_URL)
  --token   bearer token (default $UPLOADS_TOKEN)
  --force   overwrite an existing file
The object is written to out (default: the upload's file name here); JSON on stdout.`;

class CliError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode = 1) {
    super(message);
    this.exitCode = exitCode;
  }
}

async function api<T>(base: string, token: string, method: string, path: string, body?: unknown): Promise<T> {
  let res: Response;
  try {
    res = await fetch(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
      signal: AbortSignal.timeout(15_000),
    });
  } catch (e) {
    throw new CliError(`cannot reach the API at ${base}: ${e instanceof Error ? e.message : String(e)}`);
  }
  const json = (await res.json().catch(() => null)) as { error?: { code: string; message: string } } | null;
  if (!res.ok)
    throw new CliError(`${method} ${path}: ${json?.error?.code ?? res.status} ${json?.error?.message ?? ''}`.trim());
  return json as T;
}

async function main(argv: string[], env: NodeJS.ProcessEnv): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      api: { type: 'string' },
      token: { type: 'string' },
      force: { type: 'boolean' },
      help: { type: 'boolean' },
    },
  });
  if (values.help) return void process.stdout.write(`${USAGE}\n`);
  const [id, out] = positionals;
  const base = (values.api ?? env.UPLOADS_API_URL ?? '').replace(/\/+$/, '');
  const token = values.token ?? env.UPLOADS_TOKEN ?? '';
  if (!id || positionals.length > 2) throw new CliError(USAGE, 2);
  if (!base) throw new CliError('--api (or $UPLOADS_API_URL) is required', 2);
  if (/\/v1$/.test(base)) throw new CliError(`--api ${base}: drop the trailing /v1 (the CLI adds it)`, 2);
  if (!token) throw new CliError('--token (or $UPLOADS_TOKEN) is required', 2);

  const path = `/v1/uploads/${encodeURIComponent(id)}`;
  const { upload } = await api<{ upload: { fileName: string; size: number } }>(base, token, 'GET', path);
  // The server sanitized fileName into the key; here it only names a local file, never a path.
  const target = resolve(out ?? (basename(upload.fileName) || id));
  if (existsSync(target) && !values.force) throw new CliError(`${target} exists (use --force to overwrite)`);
  const { url } = await api<{ url: string }>(base, token, 'POST', `${path}/download-url`, {
    disposition: 'attachment',
  });
  const res = await fetch(url);
  if (!res.ok || !res.body) throw new CliError(`download failed: HTTP ${res.status}`);
  // Written beside the target and renamed at the end, so an interrupted download leaves no half file.
  const partial = `${target}.part`;
  try {
    await pipeline(
      Readable.fromWeb(res.body as import('node:stream/web').ReadableStream<Uint8Array>),
      createWriteStream(partial),
    );
    await rename(partial, target);
  } catch (e) {
    await rm(partial, { force: true });
    throw e;
  }
  process.stdout.write(`${JSON.stringify({ id, path: target, size: upload.size })}\n`);
}

main(process.argv.slice(2), process.env).catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(e instanceof CliError ? e.exitCode : 1);
});
