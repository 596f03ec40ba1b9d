import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

/** What an interrupted run leaves behind so the next run resumes. */
export interface SavedUpload {
  uploadId: string;
  api: string;
  path: string;
  size: number;
  savedAt: string;
}

/**
 * Saved uploads live under the user's cache dir, one small JSON per absolute file path, rather
 * than next to the file: the file's directory may be read-only or shared.
 */
export function stateDir(env: Record<string, string | undefined>): string {
  if (env.UPLOADS_STATE_DIR) return env.UPLOADS_STATE_DIR;
  return join(env.XDG_CACHE_HOME || join(env.HOME || homedir(), '.cache'), 'cos-upload');
}

/** The state file of one file path (hashed: paths may hold any characters). */
export function stateFileFor(dir: string, file: string): string {
  return join(dir, `${createHash('sha256').update(resolve(file)).digest('hex').slice(0, 32)}.json`);
}

/** The saved upload for this file and API, or null (a corrupt or foreign state file is ignored). */
export async function loadState(stateFile: string, api: string, size: number): Promise<SavedUpload | null> {
  let raw: string;
  try {
    raw = await readFile(stateFile, 'utf8');
  } catch {
    return null;
  }
  try {
    const s = JSON.parse(raw) as Partial<SavedUpload>;
    if (typeof s.uploadId === 'string' && s.api === api && s.size === size) return s as SavedUpload;
  } catch {
    // fall through: start afresh
  }
  return null;
}

/** Written via rename so a Ctrl-C mid-write never leaves half a file. */
export async function saveState(stateFile: string, s: SavedUpload): Promise<void> {
  await mkdir(join(stateFile, '..'), { recursive: true });
  const tmp = `${stateFile}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(s, null, 2)}\n`);
  await rename(tmp, stateFile);
}

/** Forgets the saved upload (after success, or when it can no longer resume). */
export async function clearState(stateFile: string): Promise<void> {
  await rm(stateFile, { force: true });
}
