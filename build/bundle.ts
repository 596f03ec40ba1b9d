import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import { type BuildOptions, build, type Metafile, type Plugin } from 'esbuild';
import { keepProjectMappings, type SourceMapV3 } from './project-source-map.ts';
import { zip } from './zip.ts';

/** Every function's zip must stay under this (brief: 1 MB, taken as the stricter decimal MB). */
export const ZIP_BUDGET_BYTES = 1_000_000;

export interface BundledFunction {
  /** File name under functions/, also the serverless function name. */
  fn: string;
  /** Absolute path of the zip (serverless.yml: `dist/lambda/<fn>.zip`, handler `<fn>.handler`). */
  zipPath: string;
  /** Where its files are, unzipped: `<outDir>/build/<fn>/` (`<fn>.mjs`, `chunks/`). */
  dir: string;
  zipBytes: number;
  /** Total size of the files inside the zip. */
  unzippedBytes: number;
  /** Names inside the zip: `<fn>.mjs`, the chunks it imports (statically or lazily), their source maps. */
  files: string[];
}

export interface BundleOptions {
  /** Repository root (holds functions/). */
  root: string;
  /** Default `<root>/dist/lambda`. Wiped first so no stale chunk lands in a zip. */
  outDir?: string;
  /** Default: every functions/*.ts. */
  only?: readonly string[];
}

// Bundled CommonJS packages call require() for node builtins; in an ES module `require` does not
// exist, so esbuild's shim would throw "Dynamic require of ... is not supported" at load.
const REQUIRE_SHIM =
  "import{createRequire as __createRequire}from'node:module';const require=__createRequire(import.meta.url);";

const SHIMS = join(import.meta.dirname, 'shims');

/**
 * tencentcloud-sdk-nodejs-common's `node-fetch` and `form-data` become the small shims in
 * build/shims/ (over Node 24's fetch): the real ones put whatwg-url → tr46 and mime-db, ~400 KB
 * minified, into the credentials function. Only that SDK's imports are redirected, so anything
 * else that ever imports these packages gets the real ones. test/deploy/sts-shims.test.ts holds
 * the shimmed SDK to the real one's behaviour.
 */
export const tencentSdkShims: Plugin = {
  name: 'tencent-sdk-shims',
  setup(b) {
    b.onResolve({ filter: /^(node-fetch|form-data)$/ }, (args) =>
      /[\\/]tencentcloud-sdk-nodejs-common[\\/]/.test(args.importer)
        ? { path: join(SHIMS, `${args.path}.ts`) }
        : undefined,
    );
  },
};

/** The SQLite store becomes build/shims/no-sqlite-store.ts in a Lambda bundle (see there why). */
export const noSqliteStore: Plugin = {
  name: 'no-sqlite-store',
  setup(b) {
    b.onResolve({ filter: /[\\/]store[\\/]sqlite-store\.ts$/ }, (args) =>
      /[\\/]shared[\\/]runtime[\\/]store-from\.ts$/.test(args.importer)
        ? { path: join(SHIMS, 'no-sqlite-store.ts') }
        : undefined,
    );
  },
};

/** How every Lambda's code is compiled; shared with what measures or tests a bundle. */
export const lambdaBuildOptions = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node24',
  minify: true,
  treeShaking: true,
  // Prefer packages' ES module builds: they tree-shake far better than their CommonJS ones.
  mainFields: ['module', 'main'],
  banner: { js: REQUIRE_SHIM },
  define: { 'process.env.NODE_ENV': '"production"' },
  plugins: [tencentSdkShims, noSqliteStore],
} satisfies BuildOptions;

export async function functionNames(root: string): Promise<string[]> {
  const files = await readdir(join(root, 'functions'));
  return files
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && !f.endsWith('.d.ts'))
    .map((f) => f.slice(0, -3))
    .sort();
}

type Outputs = Metafile['outputs'];

/** Map sources are paths relative to the map; the project's are the ones outside node_modules. */
const isProjectSource = (source: string) => !/(^|\/)node_modules\//.test(source);

/**
 * One function bundled on its own into `dir`: ESM `.mjs` so the Lambda runtime loads it as a
 * module with no package.json, minified and tree-shaken, node builtins external, the AWS SDK
 * bundled. `splitting` keeps the code's dynamic imports lazy: the store, COS and STS adapters
 * become chunks loaded on first use, so a cold start parses only what the configured adapters
 * need. Source maps carry no sources — stack traces need only the mappings — and map only the
 * project's own code (see keepProjectMappings), which keeps them to a fraction of the code's size.
 *
 * One esbuild pass per function, not one over all of them: in a shared pass esbuild tree-shakes
 * for the union of the entries and puts a file in a chunk every entry that can reach it imports,
 * so whatever one function uses of a shared file runs at every function's init. That is how
 * openapi's use of zod's JSON Schema generator and of every API schema, and each route's own
 * schemas, had become ~20 KB that all 26 functions parsed and ran at import (BENCHMARKS.md, 5).
 * Alone, a function carries exactly what it uses; the build takes a few seconds longer.
 */
async function buildFunction(root: string, fn: string, dir: string): Promise<Outputs> {
  const result = await build({
    ...lambdaBuildOptions,
    absWorkingDir: root,
    entryPoints: { [fn]: join(root, 'functions', `${fn}.ts`) },
    outdir: dir,
    splitting: true,
    sourcemap: 'linked',
    sourcesContent: false,
    outExtension: { '.js': '.mjs' },
    chunkNames: 'chunks/[name]-[hash]',
    metafile: true,
    logLevel: 'warning',
  });
  await Promise.all(
    Object.keys(result.metafile.outputs)
      .filter((file) => file.endsWith('.map'))
      .map(async (file) => {
        const path = resolve(root, file);
        const map = JSON.parse(await readFile(path, 'utf8')) as SourceMapV3;
        await writeFile(path, JSON.stringify(keepProjectMappings(map, isProjectSource)));
      }),
  );
  return result.metafile.outputs;
}

/** Builds `fn` into `<buildDir>/<fn>/` and zips all of it: its entry, its chunks, their maps. */
async function bundleFunction(root: string, fn: string, buildDir: string, outDir: string): Promise<BundledFunction> {
  const dir = join(buildDir, fn);
  const outputs = await buildFunction(root, fn, dir);
  // Metafile paths are relative to absWorkingDir.
  const files = Object.keys(outputs).map((file) => resolve(root, file));
  const entries = await Promise.all(
    files.map(async (file) => ({ name: relative(dir, file).split(sep).join('/'), data: await readFile(file) })),
  );
  const archive = zip(entries);
  const zipPath = join(outDir, `${fn}.zip`);
  await writeFile(zipPath, archive);
  return {
    fn,
    dir,
    zipPath,
    zipBytes: archive.length,
    unzippedBytes: entries.reduce((n, e) => n + e.data.length, 0),
    files: entries.map((e) => e.name).sort(),
  };
}

/** Bundles and zips every function; throws naming each function over the size budget. */
export async function bundleAll(opts: BundleOptions): Promise<BundledFunction[]> {
  const root = resolve(opts.root);
  const outDir = resolve(opts.outDir ?? join(root, 'dist', 'lambda'));
  const names = opts.only ? [...opts.only] : await functionNames(root);
  if (names.length === 0) throw new Error(`no functions found under ${join(root, 'functions')}`);
  await rm(outDir, { recursive: true, force: true });
  await mkdir(outDir, { recursive: true });
  const buildDir = join(outDir, 'build');
  const results = await Promise.all(names.map((fn) => bundleFunction(root, fn, buildDir, outDir)));
  const manifest = results.map(({ fn, zipBytes, unzippedBytes, files }) => ({ fn, zipBytes, unzippedBytes, files }));
  await writeFile(join(outDir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  const over = results.filter((r) => r.zipBytes > ZIP_BUDGET_BYTES);
  if (over.length > 0) {
    const list = over.map((r) => `${r.fn} (${r.zipBytes} bytes)`).join(', ');
    throw new Error(`bundle over the ${ZIP_BUDGET_BYTES}-byte zip budget: ${list}`);
  }
  return results;
}

const kb = (n: number) => `${(n / 1024).toFixed(1)} KiB`.padStart(11);

export function formatSizes(results: readonly BundledFunction[]): string {
  return results.map((r) => `${r.fn.padEnd(24)} zip ${kb(r.zipBytes)}   unzipped ${kb(r.unzippedBytes)}`).join('\n');
}

if (import.meta.main) {
  const root = resolve(import.meta.dirname, '..');
  const results = await bundleAll({ root });
  console.log(formatSizes(results));
}
