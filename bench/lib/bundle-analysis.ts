import { join } from 'node:path';
import { build, type Metafile } from 'esbuild';
import { lambdaBuildOptions } from '../../build/bundle.ts';

/** `zod`, `@aws-sdk/client-dynamodb`, or `project` for our own sources. */
export function packageOf(input: string): string {
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input);
  return m ? m[1]! : 'project';
}

/** Bytes each package contributes to the minified output, largest first. */
export function bytesByPackage(meta: Metafile): [string, number][] {
  const sums = new Map<string, number>();
  for (const out of Object.values(meta.outputs)) {
    for (const [input, { bytesInOutput }] of Object.entries(out.inputs)) {
      const pkg = packageOf(input);
      sums.set(pkg, (sums.get(pkg) ?? 0) + bytesInOutput);
    }
  }
  return [...sums].sort((a, b) => b[1] - a[1]);
}

/**
 * Every function bundled alone (no splitting, nothing written) with build/bundle.ts's settings,
 * for its metafile: what each function's code is made of, lazily loaded parts included.
 */
export async function analyseFunction(root: string, fn: string): Promise<Metafile> {
  const result = await build({
    ...lambdaBuildOptions,
    absWorkingDir: root,
    entryPoints: [join(root, 'functions', `${fn}.ts`)],
    outfile: join(root, 'dist', 'analysis', `${fn}.mjs`),
    write: false,
    metafile: true,
    logLevel: 'error',
  });
  return result.metafile;
}
