import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** Where one file of a set stands, as an interrupted run left it. */
export interface SetEntry {
  size: number;
  mtimeMs: number;
  /** The session, once created: resumed by id on the next run. */
  uploadId?: string;
  /** Completed (or skipped: the server had it): the next run does not send it again. */
  done?: boolean;
}

interface SavedSet {
  api: string;
  files: Record<string, SetEntry>;
}

/**
 * The resume state of a set of files (`npm run upload -- dir/ more/`): one JSON per API and set of
 * absolute paths as given, beside the single-file state files. Writes are coalesced (hundreds of
 * files finish per second) and go through a rename, so a Ctrl-C never leaves half a file.
 */
export class SetState {
  private files: Record<string, SetEntry> = {};
  private timer: ReturnType<typeof setTimeout> | null = null;
  private writing: Promise<void> = Promise.resolve();
  readonly path: string;
  private readonly api: string;

  constructor(dir: string, api: string, args: readonly string[]) {
    const id = createHash('sha256')
      .update(JSON.stringify([api, ...args]))
      .digest('hex')
      .slice(0, 32);
    this.path = join(dir, `set-${id}.json`);
    this.api = api;
  }

  /** Reads what an earlier run saved (nothing when absent, corrupt or for another API). */
  async load(): Promise<void> {
    try {
      const s = JSON.parse(await readFile(this.path, 'utf8')) as Partial<SavedSet>;
      if (s.api === this.api && s.files && typeof s.files === 'object') this.files = s.files;
    } catch {
      this.files = {};
    }
  }

  /** The saved entry of `abs` if the file is still the same (size and mtime), else null. */
  get(abs: string, size: number, mtimeMs: number): SetEntry | null {
    const e = this.files[abs];
    return e && e.size === size && e.mtimeMs === mtimeMs ? e : null;
  }

  /** Updates one file's entry; written soon. */
  set(abs: string, entry: SetEntry): void {
    this.files[abs] = entry;
    this.timer ??= setTimeout(() => void this.flush(), 200);
  }

  /** Writes now (and waits for a write in progress). Failing to save only costs the resume. */
  async flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const body = `${JSON.stringify({ api: this.api, files: this.files } satisfies SavedSet)}\n`;
    this.writing = this.writing
      .catch(() => {})
      .then(async () => {
        await mkdir(join(this.path, '..'), { recursive: true });
        const tmp = `${this.path}.${process.pid}.tmp`;
        await writeFile(tmp, body);
        await rename(tmp, this.path);
      });
    await this.writing;
  }

  /** Forgets the set (every file done). */
  async clear(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.writing.catch(() => {});
    await rm(this.path, { force: true });
  }
}
