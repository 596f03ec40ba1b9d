import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { resetConfig } from '../../shared/config.ts';
import type { CoreDeps } from '../../shared/core/deps.ts';
import { coreDeps } from '../../shared/runtime/core-deps.ts';
import { memoUntilFailure, setCoreDeps, storeDeps } from '../../shared/runtime/store-deps.ts';

describe('memoUntilFailure', () => {
  it('builds once while the build succeeds', async () => {
    const build = vi.fn(async () => ({ n: 1 }));
    const get = memoUntilFailure(build);
    const [a, b] = await Promise.all([get(), get()]);
    expect(a).toBe(b);
    expect(await get()).toBe(a);
    expect(build).toHaveBeenCalledTimes(1);
  });

  it('builds again after a failure, so one bad start does not poison the process', async () => {
    const build = vi.fn().mockRejectedValueOnce(new Error('table not reachable')).mockResolvedValue('ok');
    const get = memoUntilFailure(build);
    await expect(get()).rejects.toThrow('table not reachable');
    expect(await get()).toBe('ok');
    expect(await get()).toBe('ok');
    expect(build).toHaveBeenCalledTimes(2);
  });
});

/** The SQLite store holds its database open; the port has no close, the adapter does. */
const closeStore = (deps: { store: unknown } | undefined) =>
  (deps?.store as { close?: () => void } | undefined)?.close?.();

describe('storeDeps and coreDeps (built from the environment, as in a Lambda)', () => {
  let dir: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'runtime-deps-'));
    vi.stubEnv('UPLOADS_STORE', 'sqlite');
    vi.stubEnv('DATA_DIR', dir);
    vi.stubEnv('COS_BUCKET', 'deps-1250000000');
    vi.stubEnv('COS_REGION', 'ap-guangzhou');
    vi.stubEnv('COS_SECRET_ID', 'AKIDdeps');
    vi.stubEnv('COS_SECRET_KEY', 'deps-key');
    vi.stubEnv('AUTH_JWT_SECRET', 'runtime-deps-secret-0123456789abcdef');
    vi.stubEnv('LOG_LEVEL', 'silent');
    resetConfig();
    setCoreDeps(undefined);
  });

  afterEach(async () => {
    closeStore(await storeDeps().catch(() => undefined));
    setCoreDeps(undefined);
    vi.unstubAllEnvs();
    resetConfig();
    await rm(dir, { recursive: true, force: true });
  });

  it('storeDeps carries no COS client; coreDeps adds one over the same store', async () => {
    const base = await storeDeps();
    expect(base).not.toHaveProperty('storage');
    const full = await coreDeps();
    expect(full.store).toBe(base.store);
    expect(full.storage).toMatchObject({ bucket: 'deps-1250000000', region: 'ap-guangzhou' });
    expect(await storeDeps()).toBe(base);
  });

  it('a store that cannot open fails the request, and the next request builds it again', async () => {
    const blocked = join(dir, 'not-a-dir');
    await writeFile(blocked, 'a file where the data directory should be');
    vi.stubEnv('DATA_DIR', blocked);
    resetConfig();
    await expect(storeDeps()).rejects.toThrow(/not-a-dir|ENOTDIR|EEXIST/);
    vi.stubEnv('DATA_DIR', dir);
    resetConfig();
    await expect(storeDeps()).resolves.toHaveProperty('store');
  });

  it('clearing installed deps forgets those built from the environment too, the COS client included', async () => {
    expect((await coreDeps()).storage.bucket).toBe('deps-1250000000');
    closeStore(await storeDeps());
    vi.stubEnv('COS_BUCKET', 'other-1250000000');
    resetConfig();
    setCoreDeps(undefined);
    expect((await coreDeps()).storage.bucket).toBe('other-1250000000');
  });

  it('deps installed by the local runtime or a test win over the environment', async () => {
    const installed = { log: { info() {} } } as unknown as CoreDeps;
    setCoreDeps(installed);
    expect(await storeDeps()).toBe(installed);
    expect(await coreDeps()).toBe(installed);
  });
});
