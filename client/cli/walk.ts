import { readdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { UploadClientError } from '../errors.ts';

/** A file to upload: the path as the user will recognise it, and its absolute form (the ledger's key). */
export interface FoundFile {
  path: string;
  abs: string;
}

/**
 * The files under the given paths: a file as it is, a directory recursively (sorted, so two runs
 * list the same set in the same order). Symbolic links to files are followed; links to
 * directories are not, so a loop cannot make the walk endless. A path named twice counts once.
 */
export async function walkPaths(paths: readonly string[]): Promise<FoundFile[]> {
  const out: FoundFile[] = [];
  const seen = new Set<string>();
  const add = (path: string) => {
    const abs = resolve(path);
    if (seen.has(abs)) return;
    seen.add(abs);
    out.push({ path, abs });
  };
  for (const p of paths) {
    let info: Awaited<ReturnType<typeof stat>>;
    try {
      info = await stat(p);
    } catch (e) {
      throw new UploadClientError(null, 'INVALID_OPTIONS', `cannot read ${p}: ${(e as Error).message}`, { path: p });
    }
    if (info.isDirectory()) await walkDir(p, add);
    else add(p);
  }
  return out;
}

async function walkDir(dir: string, add: (path: string) => void): Promise<void> {
  const entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1));
  for (const e of entries) {
    const path = join(dir, e.name);
    if (e.isDirectory()) await walkDir(path, add);
    else if (e.isFile()) add(path);
    else if (e.isSymbolicLink()) {
      const target = await stat(path).catch(() => null);
      if (target?.isFile()) add(path);
    }
  }
}
