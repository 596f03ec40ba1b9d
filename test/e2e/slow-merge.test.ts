import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUpload } from '../../client/upload.ts';
import { crc64 } from '../../shared/core/crc64.ts';
import { apiClient, bytesOf, crcOf, putPart, settled } from '../helpers/api-client.ts';
import { type E2eStack, randomBytes, readObject, runScript, startE2eStack } from './helpers.ts';

/**
 * Real COS merges big objects for minutes (436/7742); the emulator's `slowMerge` makes every merge
 * take a minute. Complete must answer 202 within COMPLETE_WAIT_SECONDS, never leave the upload
 * `open` or `aborted` meanwhile, and the SDK, the CLI and a raw client all end with the right object.
 */
const MERGE_MS = 60_000;
const MiB = 1024 * 1024;

let e2e: E2eStack;
let token: string;
beforeAll(async () => {
  e2e = await startE2eStack({ COMPLETE_WAIT_SECONDS: '2' });
  token = await e2e.stack.token('slow-merge');
});
afterAll(() => e2e?.close());

/** Every state GET shows until the upload settles, polled twice a second. */
async function watch(id: string) {
  return settled(apiClient(e2e.stack.apiUrl, token), id, MERGE_MS + 30_000);
}

const runCli = (file: string) =>
  runScript('client/cli.ts', [file], {
    UPLOADS_API_URL: e2e.stack.apiUrl,
    UPLOADS_TOKEN: token,
    UPLOADS_STATE_DIR: join(e2e.dir, 'state'),
  });

describe(`a ${MERGE_MS / 1000}-second merge`, () => {
  it('202 within the wait, completing (never open or aborted) until the merge ends; SDK, CLI and API all finish', async () => {
    e2e.stack.emulator.faults.add({
      op: 'CompleteMultipartUpload',
      count: 3,
      action: { type: 'slowMerge', ms: MERGE_MS },
    });
    const api = apiClient(e2e.stack.apiUrl, token);
    const started = Date.now();

    // The raw API: one single upload, complete answered 202 with Retry-After within the wait.
    const rawFile = bytesOf(300 * 1024, 61);
    const raw = (await api.create({ fileName: 'raw.bin', size: rawFile.length, crc64: crcOf(rawFile) })).body.upload;
    const url = (await api.partUrls(raw.id, { partNumbers: [1] })).body.urls[0]!;
    expect((await putPart(url, rawFile)).status).toBe(200);
    const t0 = Date.now();
    const answer = await api.complete(raw.id);
    expect(Date.now() - t0).toBeLessThan(2_000 + 1_500);
    expect(answer.status, JSON.stringify(answer.body)).toBe(202);
    expect(answer.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(answer.body.upload.state).toBe('completing');
    const rawWatch = watch(raw.id);

    // The SDK (multipart) and the CLI (a single PUT) in the same minute.
    const sdkBytes = randomBytes(24 * MiB + 5, 62);
    const sdk = createUpload(sdkBytes, {
      baseUrl: e2e.stack.apiUrl,
      token,
      fileName: 'sdk.bin',
      partSize: 8 * MiB,
    }).done;
    const cliFile = join(e2e.dir, 'cli.bin');
    const cliBytes = randomBytes(3 * MiB, 63);
    writeFileSync(cliFile, cliBytes);
    const cli = runCli(cliFile);

    const { upload, seen } = await rawWatch;
    expect(seen).toEqual(['completing', 'completed']);
    expect(Date.now() - started).toBeGreaterThanOrEqual(MERGE_MS - 1_000);
    expect(upload).toMatchObject({ state: 'completed', crc64: crcOf(rawFile), crc64Verified: true });
    expect(Buffer.compare(await readObject(e2e.stack, raw.key), Buffer.from(rawFile))).toBe(0);

    const done = await sdk;
    expect(done).toMatchObject({ state: 'completed', crc64: crc64(sdkBytes).toString() });
    expect(Buffer.compare(await readObject(e2e.stack, done.key), sdkBytes)).toBe(0);

    const ran = await cli;
    expect(ran.code, ran.stderr).toBe(0);
    expect(ran.stderr).toMatch(/assembling…/);
    const result = JSON.parse(ran.stdout) as { key: string; crc64: string };
    expect(result.crc64).toBe(crc64(cliBytes).toString());
    expect(Buffer.compare(await readObject(e2e.stack, result.key), cliBytes)).toBe(0);
  }, 180_000);
});
