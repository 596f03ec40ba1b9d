import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterEach, describe, expect, it } from 'vitest';
import { sqliteMigrations } from '../../shared/store/sqlite-migrations.ts';
import { openSqliteStore, SqliteUploadStore } from '../../shared/store/sqlite-store.ts';
import { anUpload, at } from './fixtures.ts';
import { describeUploadStoreContract } from './upload-store.contract.ts';

const tempDir = () => mkdtempSync(join(tmpdir(), 'sqlite-store-'));

describeUploadStoreContract('sqlite (file in a temp dir)', async () => {
  const dir = tempDir();
  const store = new SqliteUploadStore({ path: join(dir, 'uploads.sqlite') });
  return {
    store,
    async close() {
      store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

describe('SqliteUploadStore specifics', () => {
  const dirs: string[] = [];
  const dir = () => {
    const d = tempDir();
    dirs.push(d);
    return d;
  };
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('openSqliteStore creates the data dir, and data survives a restart', async () => {
    const dataDir = join(dir(), 'nested', 'data');
    const u = anUpload();
    const first = openSqliteStore(dataDir);
    await first.create(u);
    await first.putParts(u.id, [{ partNumber: 1, etag: '"e"', size: 5, crc64: '9' }], at(1));
    first.close();

    const second = openSqliteStore(dataDir);
    expect(await second.get(u.id)).toEqual({ ...u, lastActivityAt: at(1) });
    expect(await second.listParts(u.id)).toEqual([{ partNumber: 1, etag: '"e"', size: 5, crc64: '9' }]);
    second.close();

    const raw = new DatabaseSync(join(dataDir, 'uploads.sqlite'));
    expect(raw.prepare('PRAGMA user_version').get()).toEqual({ user_version: sqliteMigrations.length });
    expect(raw.prepare('PRAGMA journal_mode').get()).toEqual({ journal_mode: 'wal' });
    raw.close();
  });

  it('lets only one of two connections to the same file win a transition', async () => {
    const path = join(dir(), 'uploads.sqlite');
    const a = new SqliteUploadStore({ path });
    const b = new SqliteUploadStore({ path });
    const u = anUpload();
    await a.create(u);
    expect(await b.get(u.id)).toEqual(u);
    expect(await a.transition(u.id, { from: ['open'], to: 'completing', at: at(1) })).not.toBeNull();
    expect(await b.transition(u.id, { from: ['open'], to: 'aborted', at: at(2) })).toBeNull();
    expect(await b.putParts(u.id, [{ partNumber: 1, etag: '"e"', size: null, crc64: null }], at(3))).toBe(false);
    a.close();
    b.close();
  });

  it('fails loudly on a corrupted row instead of returning a wrong type', async () => {
    const path = join(dir(), 'uploads.sqlite');
    const store = new SqliteUploadStore({ path });
    const u = anUpload();
    await store.create(u);
    const raw = new DatabaseSync(path);
    raw.prepare(`UPDATE uploads SET state = 'weird' WHERE id = ?`).run(u.id);
    raw.close();
    await expect(store.get(u.id)).rejects.toThrow(/malformed/);
    store.close();
  });
});
