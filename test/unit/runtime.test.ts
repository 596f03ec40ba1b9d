import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { parseConfig } from '../../shared/config.ts';
import { createLogger } from '../../shared/logger.ts';
import { cosStorage } from '../../shared/runtime/cos-storage.ts';
import { installRuntime, runtimeFor } from '../../shared/runtime/current.ts';
import { memoUntilFailure } from '../../shared/runtime/memo-until-failure.ts';
import { createRuntime } from '../../shared/runtime/runtime.ts';
import { storeFrom } from '../../shared/runtime/store-from.ts';

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
    expect(build).toHaveBeenCalledTimes(2);
  });
});

const scope = { fn: 'test', requestId: 'req-1' };

describe('createRuntime', () => {
  let dir: string;
  const env = () => ({
    UPLOADS_STORE: 'sqlite',
    DATA_DIR: dir,
    COS_BUCKET: 'deps-1250000000',
    COS_SECRET_ID: 'AKIDdeps',
    COS_SECRET_KEY: 'deps-key',
    AUTH_JWT_SECRET: 'runtime-deps-secret-0123456789abcdef',
    LOG_LEVEL: 'silent',
  });
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'runtime-'));
  });
  afterEach(async () => {
    installRuntime(undefined);
    vi.unstubAllEnvs();
    await rm(dir, { recursive: true, force: true });
  });

  it('storeDeps carry no COS client; coreDeps add one over the same store, once', async () => {
    const rt = createRuntime(parseConfig(env()), { store: storeFrom, storage: cosStorage });
    const base = await rt.storeDeps(scope);
    expect(base).not.toHaveProperty('storage');
    const full = await rt.coreDeps(scope);
    expect(full.store).toBe(base.store);
    expect(full.storage).toMatchObject({ bucket: 'deps-1250000000', region: 'ap-guangzhou' });
    expect((await rt.coreDeps(scope)).storage).toBe(full.storage);
    await rt.close();
  });

  it('a use case whose entry brought no loader for an adapter gets a 500 that says so, not a crash', async () => {
    await expect(createRuntime(parseConfig(env())).storeDeps(scope)).rejects.toMatchObject({ status: 500 });
    const rt = createRuntime(parseConfig(env()), { store: storeFrom });
    await expect(rt.coreDeps(scope)).rejects.toMatchObject({
      status: 500,
      code: 'INTERNAL',
      message: /not configured/,
    });
    await expect(rt.issuerDeps(scope)).rejects.toMatchObject({ status: 500, message: /temporary credentials/ });
    rt.provide({ storage: cosStorage });
    await expect(rt.coreDeps(scope)).resolves.toHaveProperty('storage');
    await rt.close();
  });

  it('a store that cannot open fails the request, and the next request builds it again', async () => {
    const blocked = join(dir, 'not-a-dir');
    await writeFile(blocked, 'a file where the data directory should be');
    let calls = 0;
    const rt = createRuntime(parseConfig(env()), {
      store: async (c) => {
        calls++;
        const { openSqliteStore } = await import('../../shared/store/sqlite-store.ts');
        return openSqliteStore(calls === 1 ? blocked : c.DATA_DIR);
      },
    });
    await expect(rt.storeDeps(scope)).rejects.toThrow(/not-a-dir|ENOTDIR|EEXIST/);
    await expect(rt.storeDeps(scope)).resolves.toHaveProperty('store');
    await rt.close();
  });

  it('deps are request-scoped: their logger names the function and the request', async () => {
    const lines: Record<string, unknown>[] = [];
    const log = createLogger('info', {}, (l) => lines.push(JSON.parse(l) as Record<string, unknown>));
    const rt = createRuntime(parseConfig(env()), { store: storeFrom, log });
    (await rt.storeDeps({ fn: 'get-upload', requestId: 'abc' })).log.info('hello');
    expect(lines).toEqual([expect.objectContaining({ msg: 'hello', fn: 'get-upload', requestId: 'abc' })]);
    await rt.close();
  });

  it('with() shares the adapters it does not replace, and closing it closes none of them', async () => {
    const rt = createRuntime(parseConfig(env()), { store: storeFrom, storage: cosStorage });
    const store = (await rt.storeDeps(scope)).store;
    const other = rt.with({ config: { ...rt.config, MIN_PART_BYTES: 1 } });
    expect((await other.storeDeps(scope)).store).toBe(store);
    expect(other.limits.minPartBytes).toBe(1);
    await other.close();
    await expect(store.get('upl_00000000000000000000000000')).resolves.toBeNull();
    await rt.close();
  });

  it('the process runtime: an installed one wins; otherwise one is built from the environment, once', async () => {
    for (const [k, v] of Object.entries(env())) vi.stubEnv(k, v);
    const fromEnv = runtimeFor({ storage: cosStorage });
    expect(runtimeFor()).toBe(fromEnv);
    expect(fromEnv.config.COS_BUCKET).toBe('deps-1250000000');
    const mine = createRuntime(parseConfig({ ...env(), COS_BUCKET: 'mine-1250000000' }));
    installRuntime(mine);
    expect(runtimeFor()).toBe(mine);
    await fromEnv.close();
  });
});
