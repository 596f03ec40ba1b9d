/**
 * Upload ids kept in localStorage so a reload mid-upload resumes. A File cannot survive a reload,
 * so the user picks it again and we recognise it by name + size + lastModified — or by name + size
 * alone, because some pickers (and tests) give a fresh lastModified: that is safe since the SDK
 * re-verifies every recorded part's CRC64 against the picked bytes before skipping it.
 */
export interface SavedUpload {
  uploadId: string;
  api: string;
  name: string;
  size: number;
  lastModified: number;
  savedAt: string;
}

const KEY = 'cos-upload.sessions.v1';

/** localStorage can be missing or throw (privacy modes, quota): then resume is simply off. */
function storage(): Storage | null {
  try {
    return globalThis.localStorage ?? null;
  } catch {
    return null;
  }
}

/** Every saved upload (malformed entries are skipped). */
export function loadSaved(): SavedUpload[] {
  try {
    const list = JSON.parse(storage()?.getItem(KEY) ?? '[]') as unknown;
    return Array.isArray(list) ? list.filter(isSaved) : [];
  } catch {
    return [];
  }
}

function write(list: SavedUpload[]): void {
  try {
    storage()?.setItem(KEY, JSON.stringify(list));
  } catch {
    // quota or disabled storage: resume after reload is lost, the upload itself is not
  }
}

/** Saves (or replaces) the entry for an upload id. */
export function rememberUpload(entry: SavedUpload): void {
  write([...loadSaved().filter((e) => e.uploadId !== entry.uploadId), entry]);
}

/** Drops an upload id (completed, cancelled or stale). */
export function forgetUpload(uploadId: string): void {
  write(loadSaved().filter((e) => e.uploadId !== uploadId));
}

/** The saved upload for a picked file on this API, preferring an exact match. */
export function findSaved(file: { name: string; size: number; lastModified: number }, api: string): SavedUpload | null {
  const candidates = loadSaved().filter((e) => e.api === api && e.name === file.name && e.size === file.size);
  return candidates.find((e) => e.lastModified === file.lastModified) ?? candidates.at(-1) ?? null;
}

function isSaved(x: unknown): x is SavedUpload {
  const e = x as Partial<SavedUpload> | null;
  return (
    typeof e?.uploadId === 'string' &&
    typeof e.api === 'string' &&
    typeof e.name === 'string' &&
    typeof e.size === 'number'
  );
}
