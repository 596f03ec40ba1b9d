import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '../../local/stack.ts';
import { apiClient, crcOf, readyMultipart, settled } from '../helpers/api-client.ts';
import { getObjectBytes, headObject, officialCos } from '../helpers/official-cos.ts';
import { startTestStack, type TestStack } from '../helpers/test-stack.ts';

/**
 * The completion worker against the emulator's documented COS behaviours: no CRC64 in Complete's
 * answer (436/43320), and a merge that outlives the worker's connection to COS.
 */
let testStack: TestStack | undefined;
let stack: LocalStack;
let api: ReturnType<typeof apiClient>;

beforeAll(async () => {
  testStack = await startTestStack('complete-worker', {
    env: { COMPLETE_WAIT_SECONDS: '1' },
    // A worker run lasts 2 s: a 5 s merge outlives its Complete call (the connection is cut).
    worker: { budgetMs: 2_000, leaseSeconds: 3, headPollMs: 200, maxHeadPollMs: 400 },
  });
  stack = testStack.stack;
  api = apiClient(stack.apiUrl, await stack.token('alice'));
});
afterAll(() => testStack?.stop());

describe('the completion worker', () => {
  it('noCrc64 on Complete and HEAD: completes with crc64Verified false and the object stays', async () => {
    const { up, file } = await readyMultipart(api, 71, { declare: true, extra: 99 });
    stack.emulator.faults.add({ op: 'CompleteMultipartUpload', count: 1, action: { type: 'noCrc64' } });
    stack.emulator.faults.add({ op: 'HeadObject', count: 10, action: { type: 'noCrc64' } });
    const done = await api.complete(up.id);
    expect([200, 202]).toContain(done.status);
    const { upload } = await settled(api, up.id);
    expect(upload).toMatchObject({ state: 'completed', crc64Verified: false, size: file.length, lastError: null });
    stack.emulator.faults.clear();
    const head = await headObject(officialCos(stack.cosUrl), stack, up.key);
    expect(head.statusCode).toBe(200);
    const bytes = await getObjectBytes(officialCos(stack.cosUrl), stack.bucket, stack.region, up.key);
    expect(Buffer.compare(bytes, Buffer.from(file))).toBe(0);
  });

  it('with a CRC64 from COS and the parts, crc64Verified is true', async () => {
    const { up, file } = await readyMultipart(api, 72, { declare: false, extra: 99 });
    expect((await api.complete(up.id)).status).toBe(200);
    expect((await api.get(up.id)).body.upload).toMatchObject({ crc64: crcOf(file), crc64Verified: true });
  });

  it('a merge that outlives the worker connection: the next run finds NoSuchUpload, waits on HEAD, completes', async () => {
    const { up, file } = await readyMultipart(api, 73, { declare: true, extra: 99 });
    stack.emulator.faults.add({ op: 'CompleteMultipartUpload', count: 1, action: { type: 'slowMerge', ms: 5_000 } });
    const answer = await api.complete(up.id);
    expect(answer.status).toBe(202);
    const { upload, seen } = await settled(api, up.id, 20_000);
    expect(seen).toEqual(['completing', 'completed']);
    expect(upload).toMatchObject({ state: 'completed', crc64: crcOf(file), crc64Verified: true });
    const bytes = await getObjectBytes(officialCos(stack.cosUrl), stack.bucket, stack.region, up.key);
    expect(Buffer.compare(bytes, Buffer.from(file))).toBe(0);
  });

  it('no COS upload and no object past COMPLETE_GRACE_SECONDS: aborted with lastError', async () => {
    const { up } = await readyMultipart(api, 74, { declare: true, extra: 99 });
    // Aborted behind our back: COS knows neither the upload nor an object.
    await new Promise((resolve, reject) =>
      officialCos(stack.cosUrl).multipartAbort(
        { Bucket: stack.bucket, Region: stack.region, Key: up.key, UploadId: up.cosUploadId! },
        (err) => (err ? reject(err) : resolve(null)),
      ),
    );
    expect((await api.complete(up.id)).status).toBe(202); // within the grace window: still completing
    const record = await stack.deps.store.get(up.id);
    expect(record).toMatchObject({ state: 'completing' });
    // Move the assembly's start back past the grace window, as if an hour had gone by.
    const longAgo = new Date(Date.now() - 3601_000).toISOString();
    await stack.deps.store.transition(up.id, {
      from: ['completing'],
      to: 'completing',
      set: { assemblyStartedAt: longAgo, leaseUntil: null },
      at: new Date().toISOString(),
    });
    stack.deps.completions.started(up.id);
    const { upload } = await settled(api, up.id, 10_000);
    expect(upload).toMatchObject({ state: 'aborted', lastError: { code: 'UPLOAD_NOT_OPEN' } });
    const again = await api.complete(up.id);
    expect(again.status).toBe(409);
  });
});
