import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { FaultAction, FaultRule } from '../../local/cos/faults.ts';
import type { LocalStack } from '../../local/stack.ts';
import type { UploadRecord } from '../../shared/ports.ts';
import { type Answer, apiClient, crcOf, readyMultipart, settled } from '../helpers/api-client.ts';
import { getObjectBytes, headObject, listParts, officialCos } from '../helpers/official-cos.ts';
import { startTestStack, type TestStack } from '../helpers/test-stack.ts';

/**
 * COS misbehaving under every server-side call the API and the completion worker make: the API
 * retries within its budget, then answers STORAGE_UNAVAILABLE; the worker retries within its own and
 * hands back; the upload's state stays consistent and it completes once COS recovers.
 */
const MiB = 1024 * 1024;
let testStack: TestStack | undefined;
let stack: LocalStack;
let api: ReturnType<typeof apiClient>;

beforeAll(async () => {
  testStack = await startTestStack('faults', {
    // Short attempt timeouts so "COS hangs" costs a test seconds, not minutes; a short wait at
    // complete, and a worker whose lease and budget are seconds, so a dead one is re-driven soon.
    env: { COS_TIMEOUT_MS: '400', COS_RETRY_BUDGET_MS: '3000', COMPLETE_WAIT_SECONDS: '2' },
    worker: { leaseSeconds: 4, budgetMs: 3000, headPollMs: 100, maxHeadPollMs: 300 },
  });
  stack = testStack.stack;
  api = apiClient(stack.apiUrl, await stack.token('alice'));
});
afterEach(() => stack.emulator.faults.clear());
afterAll(() => testStack?.stop());

const TRANSIENT: Record<string, FaultAction> = {
  '503 ServiceUnavailable': { type: 'error', status: 503, code: 'ServiceUnavailable' },
  '503 SlowDown': { type: 'error', status: 503, code: 'SlowDown' },
  'dropped connection': { type: 'drop' },
  timeout: { type: 'delay', ms: 1500 },
};

const expectUnavailable = (r: Answer) => {
  expect(r.status, JSON.stringify(r.body)).toBe(503);
  expect(r.body).toMatchObject({ error: { code: 'STORAGE_UNAVAILABLE', details: {} } });
  expect(JSON.stringify(r.body)).not.toMatch(/<|Secret|q-signature|stack/i);
};

/** A 3-part upload ready to complete, its file CRC64 declared. */
const ready = (seed: number) => readyMultipart(api, seed);

const fault = (op: FaultRule['op'], action: FaultAction, count: number) =>
  stack.emulator.faults.add({ op, action, count });

describe.each(Object.entries(TRANSIENT))('COS fault: %s', (_name, action) => {
  it('Initiate (create): one fault is retried away; persistent faults → 503 and nothing created', async () => {
    fault('InitiateMultipartUpload', action, 1);
    expect((await api.create({ fileName: 'a.bin', size: 3 * MiB })).status).toBe(201);
    const before = (await stack.deps.store.list({ limit: 1000 })).items.length;
    fault('InitiateMultipartUpload', action, 1000);
    expectUnavailable(await api.create({ fileName: 'a.bin', size: 3 * MiB }));
    expect((await stack.deps.store.list({ limit: 1000 })).items.length).toBe(before);
  });

  it('List Parts: retried; persistent → 503 before anything changed, upload still open; later completes', async () => {
    const once = await ready(1);
    fault('ListParts', action, 1);
    const ok = await api.complete(once.up.id);
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);

    const { up, file } = await ready(2);
    fault('ListParts', action, 1000);
    expectUnavailable(await api.complete(up.id));
    expect((await api.get(up.id)).body.upload.state).toBe('open');
    stack.emulator.faults.clear();
    const done = await api.complete(up.id);
    expect(done.status, JSON.stringify(done.body)).toBe(200);
    expect(done.body.upload).toMatchObject({ state: 'completed', crc64: crcOf(file), crc64Verified: true });
  });

  it('Complete: retried by the worker; persistent → 202 and completing, never open; completes once COS recovers', async () => {
    const once = await ready(3);
    fault('CompleteMultipartUpload', action, 1);
    const ok = await api.complete(once.up.id);
    expect([200, 202]).toContain(ok.status);
    expect((await settled(api, once.up.id)).upload.state).toBe('completed');

    const { up, file } = await ready(4);
    fault('CompleteMultipartUpload', action.type === 'delay' ? { type: 'delay', ms: 4000 } : action, 1000);
    const pending = await api.complete(up.id);
    expect(pending.status, JSON.stringify(pending.body)).toBe(202);
    expect(pending.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(pending.body.upload.state).toBe('completing');
    // Calling complete again while it merges is safe: still 202, no second assembly.
    expect((await api.complete(up.id)).status).toBe(202);
    stack.emulator.faults.clear();
    const { upload, seen } = await settled(api, up.id);
    expect(seen).toEqual(['completing', 'completed']);
    expect(upload).toMatchObject({ state: 'completed', crc64: crcOf(file), lastError: null });
    const bytes = await getObjectBytes(officialCos(stack.cosUrl), stack.bucket, stack.region, up.key);
    expect(Buffer.compare(bytes, Buffer.from(file))).toBe(0);
  });

  it('Abort: persistent faults → 503 but the upload is already aborted; DELETE again cleans COS', async () => {
    const { up } = await ready(7);
    fault('AbortMultipartUpload', action, 1000);
    expectUnavailable(await api.abort(up.id));
    expect((await api.get(up.id)).body.upload.state).toBe('aborted');
    expect((await api.record(up.id, [{ partNumber: 1, etag: '"00"' }])).status).toBe(409);
    stack.emulator.faults.clear();
    expect((await api.abort(up.id)).status).toBe(204);
    const cos = officialCos(stack.cosUrl);
    await expect(listParts(cos, stack, up.key, up.cosUploadId)).rejects.toMatchObject({ statusCode: 404 });
  });

  it('Head (the worker confirming an object after NoSuchUpload): retried until it answers', async () => {
    const { up, file } = await ready(8);
    // COS merged it, but the answer was lost: the worker sees NoSuchUpload and must HEAD.
    await officialComplete(up);
    fault('HeadObject', action, 3);
    expect([200, 202]).toContain((await api.complete(up.id)).status);
    const { upload } = await settled(api, up.id);
    expect(upload).toMatchObject({ state: 'completed', size: file.length, crc64: crcOf(file), crc64Verified: true });
  });
});

/** Completes the COS multipart upload behind the API's back, as a merge whose answer was lost. */
async function officialComplete(up: { key: string; cosUploadId: string | null }) {
  const cos = officialCos(stack.cosUrl);
  const listed = (await listParts(cos, stack, up.key, up.cosUploadId)) as {
    Part: { PartNumber: string; ETag: string }[];
  };
  await new Promise((resolve, reject) =>
    cos.multipartComplete(
      {
        Bucket: stack.bucket,
        Region: stack.region,
        Key: up.key,
        UploadId: up.cosUploadId!,
        Parts: listed.Part.map((p) => ({ PartNumber: Number(p.PartNumber), ETag: p.ETag })),
      },
      (err, data) => (err ? reject(err) : resolve(data)),
    ),
  );
}

describe("Complete's 200 with an <Error> inside", () => {
  it('is retried; persistent → 202 and still completing; completes once COS recovers', async () => {
    const once = await ready(40);
    fault('CompleteMultipartUpload', { type: 'completeError', code: 'InternalError' }, 1);
    expect((await api.complete(once.up.id)).status).toBe(200);

    const { up } = await ready(41);
    fault('CompleteMultipartUpload', { type: 'completeError', code: 'InternalError' }, 1000);
    expect((await api.complete(up.id)).status).toBe(202);
    const stuck = (await api.get(up.id)).body.upload;
    expect(stuck.state).toBe('completing');
    stack.emulator.faults.clear();
    expect((await settled(api, up.id)).upload.state).toBe('completed');
  });
});

describe('crash safety', () => {
  it('a worker that died after COS assembled the object is finished by the next (NoSuchUpload → HEAD)', async () => {
    const { up, file } = await ready(50);
    const store = stack.deps.store;
    const original = store.transition.bind(store);
    // The worker "dies" right after COS Complete succeeded, before the store records it.
    store.transition = async (id, t) => {
      if (t.to === 'completed') {
        store.transition = original;
        throw new Error('simulated crash');
      }
      return original(id, t);
    };
    const crashed = await api.complete(up.id);
    expect(crashed.status, JSON.stringify(crashed.body)).toBe(202);
    expect((await store.get(up.id))!.state).toBe<UploadRecord['state']>('completing');
    // An abort cannot sneak in while it is completing.
    expect((await api.abort(up.id)).status).toBe(409);

    // Once the dead worker's lease runs out, the next complete hands the merge to a new worker.
    await new Promise((resolve) => setTimeout(resolve, 4200));
    const retried = await api.complete(up.id);
    expect([200, 202]).toContain(retried.status);
    const { upload } = await settled(api, up.id);
    expect(upload).toMatchObject({ state: 'completed', size: file.length, crc64: crcOf(file) });
    const bytes = await getObjectBytes(officialCos(stack.cosUrl), stack.bucket, stack.region, up.key);
    expect(Buffer.compare(bytes, Buffer.from(file))).toBe(0);
  });

  it('a worker that died before calling COS is re-driven by the sweep once its lease ran out', async () => {
    const { up } = await ready(51);
    const storage = stack.deps.storage;
    const original = storage.completeMultipart.bind(storage);
    storage.completeMultipart = async () => {
      storage.completeMultipart = original;
      throw new Error('simulated crash');
    };
    expect((await api.complete(up.id)).status).toBe(202);
    expect((await api.get(up.id)).body.upload).toMatchObject({ state: 'completing', lastError: { code: 'INTERNAL' } });
    await new Promise((resolve) => setTimeout(resolve, 4200));
    const admin = apiClient(stack.apiUrl, await stack.token('root', { admin: true }));
    const swept = await admin.call<{ redriven: string[] }>('POST', '/v1/admin/sweep', {});
    expect(swept.status, JSON.stringify(swept.body)).toBe(200);
    expect(swept.body.redriven).toContain(up.id);
    expect((await settled(api, up.id)).upload).toMatchObject({ state: 'completed', lastError: null });
  });

  it('a corrupt assembled object (CRC64 differs from the parts) is deleted and the upload reopened', async () => {
    const { up } = await ready(52);
    const storage = stack.deps.storage;
    const original = storage.completeMultipart.bind(storage);
    storage.completeMultipart = async (...args) => {
      storage.completeMultipart = original;
      return { ...(await original(...args)), crc64: '1' };
    };
    const r = await api.complete(up.id);
    expect(r.status).toBe(409);
    expect(r.body).toMatchObject({ error: { code: 'PARTS_INVALID', details: { crc64Mismatch: { actual: '1' } } } });
    const after = (await api.get(up.id)).body.upload;
    expect(after).toMatchObject({ state: 'open', lastError: { code: 'PARTS_INVALID' } });
    expect(after.cosUploadId).not.toBe(up.cosUploadId);
    const cos = officialCos(stack.cosUrl);
    await expect(headObject(cos, stack, up.key)).rejects.toMatchObject({ statusCode: 404 });
  });
});
