import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const here = (name: string) => fileURLToPath(new URL(name, import.meta.url));

const bundles = new Map<string, Promise<string>>();

/**
 * Bundles `entry` (beside this file) and what it imports for browsers as one ES module, once per
 * process; a failed build is retried next call.
 */
function bundleOnce(entry: string): Promise<string> {
  let bundle = bundles.get(entry);
  if (!bundle) {
    bundle = build({
      entryPoints: [here(entry)],
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
        bundles.delete(entry);
        throw e;
      },
    );
    bundles.set(entry, bundle);
  }
  return bundle;
}

/**
 * Bundles `client/web/app.ts` (and the SDK it imports) for browsers as one ES module: the text the
 * local server serves at `/app.js`. Built once per process; a failed build is retried next call.
 */
export function buildWebBundle(): Promise<string> {
  return bundleOnce('./app.ts');
}

/** The page served at `/`; it loads `./app.js`. */
export function webIndexHtml(): Promise<string> {
  return readFile(here('./index.html'), 'utf8');
}

/**
 * Bundles `client/web/uppy-page.ts`: Uppy (core, Dashboard, Golden Retriever, from the dev
 * dependencies) and the `CosUpload` plugin, served at `/uppy.js`.
 */
export function buildUppyBundle(): Promise<string> {
  return bundleOnce('./uppy-page.ts');
}

/** The styles both pages share, served at `/page.css`. */
export function pageCss(): Promise<string> {
  return readFile(here('./page.css'), 'utf8');
}

/** The Uppy page served at `/uppy`; it loads `./uppy.js` and `./uppy.css`. */
export function uppyHtml(): Promise<string> {
  return readFile(here('./uppy.html'), 'utf8');
}

/** Uppy's own style sheets (core, then Dashboard), as the packages ship them: `/uppy.css`. */
export async function uppyCss(): Promise<string> {
  const require = createRequire(import.meta.url);
  const sheets = ['@uppy/core/css/style.min.css', '@uppy/dashboard/css/style.min.css'];
  const texts = await Promise.all(sheets.map((s) => readFile(require.resolve(s), 'utf8')));
  return texts.join('\n');
}
