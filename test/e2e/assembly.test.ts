import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUpload, type UploadProgress } from '../../client/upload.ts';
import { crc64 } from '../../shared/core/crc64.ts';
import { type E2eStack, randomBytes, readObject, runScript, startE2eStack } from './helpers.ts';

const MiB = 1024 * 1024;

/** COMPLETE_WAIT_SECONDS=0: every complete that has to assemble answers 202 and the client waits. */
describe('complete answered 202 on the local stack', () => {
  let e2e: E2eStack;
  let token: string;
  beforeAll(async () => {
    e2e = await startE2eStack({ COMPLETE_WAIT_SECONDS: '0' });
    token = await e2e.stack.token('e2e-assembly');
  });
  afterAll(() => e2e?.close());

  it('the SDK polls until completed and reports the assembling phase', async () => {
    const bytes = randomBytes(20 * MiB + 3, 31);
    const statuses: number[] = [];
    const fetchImpl = async (url: string, init?: RequestInit) => {
      const res = await fetch(url, init);
      if (url.endsWith('/complete')) statuses.push(res.status);
      return res;
    };
    const events: UploadProgress[] = [];
    const done = await createUpload(bytes, {
      baseUrl: e2e.stack.apiUrl,
      token,
      fileName: 'merge.bin',
      partSize: 4 * MiB,
      fetch: fetchImpl,
      onProgress: (e) => events.push(e),
    }).done;
    expect(statuses).toEqual([202]);
    expect(done).toMatchObject({ state: 'completed', crc64: crc64(bytes).toString(), crc64Verified: true });
    expect(events.at(-1)).toMatchObject({ phase: 'assembling', bytesSent: bytes.length });
    expect(Buffer.compare(await readObject(e2e.stack, done.key), bytes)).toBe(0);
  });

  it('the CLI prints "assembling…" and then the result (a single upload: one part)', async () => {
    const file = join(e2e.dir, 'cli merge.bin');
    const bytes = randomBytes(6 * MiB, 32);
    writeFileSync(file, bytes);
    const { code, stdout, stderr } = await runScript('client/cli.ts', [file], {
      UPLOADS_API_URL: e2e.stack.apiUrl,
      UPLOADS_TOKEN: token,
      UPLOADS_STATE_DIR: join(e2e.dir, 'state'),
    });
    expect(code, stderr).toBe(0);
    expect(stderr).toMatch(/assembling…\s+parts 1\/1/);
    expect(stderr.trimEnd().split('\n').at(-1)).toMatch(/ETA 0s\s+parts 1\/1$/);
    expect(JSON.parse(stdout)).toMatchObject({ crc64: crc64(bytes).toString(), size: bytes.length });
  });
});
