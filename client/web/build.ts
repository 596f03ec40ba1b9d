import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const here = (name: string) => fileURLToPath(new URL(name, import.meta.url));

let bundle: Promise<string> | null = null;

/**
 * Bundles `client/web/app.ts` (and the SDK it imports) for browsers as one ES module: the text the
 * local server serves at `/app.js`. Built once per process; a failed build is retried next call.
 */
export function buildWebBundle(): Promise<string> {
  bundle ??= build({
    entryPoints: [here('./app.ts')],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    target: ['es2022'],
    minify: true,
    legalComments: 'none',
    logLevel: 'silent',
  }).then(
    (r) => r.outputFiles[0]!.text,
    (e: unknown) => {
      bundle = null;
      throw e;
    },
  );
  return bundle;
}

/** The page served at `/`; it loads `./app.js`. */
export function webIndexHtml(): Promise<string> {
  return readFile(here('./index.html'), 'utf8');
}
