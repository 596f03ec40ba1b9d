import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { build } from 'esbuild';
import { lambdaBuildOptions } from '../../build/bundle.ts';
import { zip } from '../../build/zip.ts';

/**
 * A yardstick bundled the way build/bundle.ts bundles a function (its `lambdaBuildOptions`, linked
 * source maps without sources) and zipped the same way, so its size and import time compare with
 * the functions'. Only the Tencent SDK shims are left out: a yardstick shows a package as it is.
 */
export async function bundleYardstick(root: string, outDir: string, name: string, source: string) {
  const outfile = join(outDir, `${name}.mjs`);
  const result = await build({
    absWorkingDir: root,
    stdin: { contents: source, resolveDir: root, loader: 'ts', sourcefile: `${name}.ts` },
    outfile,
    ...lambdaBuildOptions,
    plugins: [],
    sourcemap: 'linked',
    sourcesContent: false,
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
