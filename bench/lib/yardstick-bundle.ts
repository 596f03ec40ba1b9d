import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { build } from 'esbuild';
import { zip } from '../../build/zip.ts';

/**
 * A yardstick bundled the way build/bundle.ts bundles a function (ESM .mjs, minified, tree-shaken,
 * platform node, target node24, module fields first, the require shim, linked source maps without
 * sources) and zipped the same way, so its size and import time compare with the functions'.
 */
export async function bundleYardstick(root: string, outDir: string, name: string, source: string) {
  const outfile = join(outDir, `${name}.mjs`);
  const result = await build({
    absWorkingDir: root,
    stdin: { contents: source, resolveDir: root, loader: 'ts', sourcefile: `${name}.ts` },
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node24',
    minify: true,
    treeShaking: true,
    sourcemap: 'linked',
    sourcesContent: false,
    mainFields: ['module', 'main'],
    banner: {
      js: "import{createRequire as __createRequire}from'node:module';const require=__createRequire(import.meta.url);",
    },
    define: { 'process.env.NODE_ENV': '"production"' },
    metafile: true,
    logLevel: 'error',
  });
  const code = await readFile(outfile);
  const map = await readFile(`${outfile}.map`);
  return {
    entry: outfile,
    zipBytes: zip([
      { name: `${name}.mjs`, data: code },
      { name: `${name}.mjs.map`, data: map },
    ]).length,
    codeZipBytes: zip([{ name: `${name}.mjs`, data: code }]).length,
    metafile: result.metafile,
  };
}
