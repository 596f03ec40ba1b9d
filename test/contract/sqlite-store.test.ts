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
      await store.close();
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
    await first.close();

    const second = openSqliteStore(dataDir);
    expect(await second.get(u.id)).toEqual({ ...u, lastActivityAt: at(1) });
    expect(await second.listParts(u.id)).toEqual([{ partNumber: 1, etag: '"e"', size: 5, crc64: '9' }]);
    await second.close();

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
    await a.close();
    await b.close();
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
    await store.close();
  });

  it('answers STORE_UNAVAILABLE when another connection holds the write lock past busy_timeout', async () => {
    const path = join(dir(), 'uploads.sqlite');
    const store = new SqliteUploadStore({ path, busyTimeoutMs: 50 });
    const u = anUpload();
    await store.create(u);
    // Another process mid-transaction: it holds the write lock and does not let go in time.
    const other = new DatabaseSync(path);
    other.exec('BEGIN IMMEDIATE');
    other.prepare(`UPDATE uploads SET updated_at = ? WHERE id = ?`).run(at(5), u.id);

    const unavailable = { name: 'UploadError', status: 503, code: 'STORE_UNAVAILABLE' };
    const started = performance.now();
    const lost = await store.transition(u.id, { from: ['open'], to: 'completing', at: at(1) }).catch((e: unknown) => e);
    expect(performance.now() - started, 'waited for busy_timeout first').toBeGreaterThanOrEqual(40);
    expect(lost).toMatchObject(unavailable);
    expect((lost as Error).cause).toMatchObject({ errcode: 5, errstr: 'database is locked' });
    const part = { partNumber: 1, etag: '"e"', size: 1, crc64: null };
    await expect(store.putParts(u.id, [part], at(2))).rejects.toMatchObject(unavailable);
    await expect(store.touch(u.id, at(2))).rejects.toMatchObject(unavailable);
    await expect(store.create(anUpload())).rejects.toMatchObject(unavailable);
    // WAL: readers are not blocked by a writer, and see the last committed state.
    expect(await store.get(u.id)).toEqual(u);

    other.exec('COMMIT');
    other.close();
    // Once the lock is gone the same store works again: nothing was left half-done.
    expect(await store.transition(u.id, { from: ['open'], to: 'completing', at: at(3) })).toMatchObject({
      state: 'completing',
      updatedAt: at(3),
    });
    expect(await store.listParts(u.id)).toEqual([]);
    await store.close();
  });

  it('reclaims an expired key the purge did not reach yet as unfinished (its old answer dropped)', async () => {
    const store = new SqliteUploadStore({ path: ':memory:' });
    const claim = (key: string, c: string, expiresAt: string) => ({
      owner: 'o',
      key,
      fingerprint: 'f',
      claim: c,
      leaseUntil: at(1),
      expiresAt,
    });
    // 101 finished keys expiring before the target: one claim purges only 100 of them.
    for (let i = 0; i <= 101; i++) {
      const c = claim(`k${i}`, `c${i}`, at(100 + i));
      await store.claimIdempotencyKey(c, at(0));
      await store.create(anUpload(), undefined, { ...c, response: { status: 201, body: `{"i":${i}}` } });
    }
    const fresh = claim('k101', 'new', at(90_000));
    expect(await store.claimIdempotencyKey(fresh, at(1_000))).toBeNull();
    await store.create(anUpload(), undefined, { ...fresh, response: { status: 201, body: '{"new":1}' } });
    expect((await store.claimIdempotencyKey(claim('k101', 'x', at(90_000)), at(1_001)))?.response?.body).toBe(
      '{"new":1}',
    );
    await store.close();
  });

  it('leaves every other SQLite error as it is (a bug, an opaque 500)', async () => {
    const store = new SqliteUploadStore({ path: ':memory:' });
    await store.close();
    const e = await store.get('upl_x').catch((err: unknown) => err);
    expect(e).toBeInstanceOf(Error);
    expect(e).not.toMatchObject({ code: 'STORE_UNAVAILABLE' });
    expect(() => new SqliteUploadStore({ path: ':memory:', busyTimeoutMs: -1 })).toThrow(/busyTimeoutMs/);
  });
});
