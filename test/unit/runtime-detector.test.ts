import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../shared/config.ts';
import { createRuntime } from '../../shared/runtime/runtime.ts';
import { withCompletion } from '../../shared/runtime/with-completion.ts';
import { withCos } from '../../shared/runtime/with-cos.ts';

const scope = { fn: 'test', requestId: 'req-1' };

/** The content detector reaches the deps of the entries that run completion, and only with verification on. */
describe('the content detector in the runtime', () => {
  let dir: string;
  const env = (verify: boolean) =>
    parseConfig({
      UPLOADS_STORE: 'sqlite',
      DATA_DIR: dir,
      COS_SECRET_ID: 'AKIDdeps',
      COS_SECRET_KEY: 'deps-key',
      AUTH_JWT_SECRET: 'runtime-deps-secret-0123456789abcdef',
      LOG_LEVEL: 'silent',
      VERIFY_CONTENT_TYPE: String(verify),
    });
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'runtime-detector-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('the stream worker (withCompletion) gets one that detects, when VERIFY_CONTENT_TYPE is on', async () => {
    const rt = createRuntime(env(true), withCompletion);
    const deps = await rt.coreDeps(scope);
    expect(await deps.detector!.detect(Buffer.from('GIF89a', 'latin1'))).toBe('image/gif');
    await rt.close();
  });

  it('nobody loads one with verification off, nor an entry that does not bring it', async () => {
    for (const rt of [createRuntime(env(false), withCompletion), createRuntime(env(true), withCos)]) {
      expect((await rt.coreDeps(scope)).detector).toBeUndefined();
      await rt.close();
    }
  });
});
