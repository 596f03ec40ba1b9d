import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { FaultAction, FaultRule } from '../../local/cos/faults.ts';
import type { LocalStack } from '../../local/stack.ts';
import type { UploadRecord } from '../../shared/ports.ts';
import { type Answer, apiClient, bytesOf, crcOf, putPart } from '../helpers/api-client.ts';
import { getObjectBytes, headObject, listParts, officialCos } from '../helpers/official-cos.ts';
import { startTestStack, type TestStack } from '../helpers/test-stack.ts';

/**
 * COS misbehaving under every server-side call the API makes: the API retries within its budget,
 * then answers STORAGE_UNAVAILABLE; the upload's state stays consistent and a later retry succeeds.
 */
const MiB = 1024 * 1024;
let testStack: TestStack | undefined;
let stack: LocalStack;
let api: ReturnType<typeof apiClient>;

beforeAll(async () => {
  testStack = await startTestStack('faults', {
    // Short attempt timeouts so "COS hangs" costs a test seconds, not minutes.
    env: { COS_TIMEOUT_MS: '400', COS_RETRY_BUDGET_MS: '3000' },
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

/** A multipart upload with every part in COS and in the ledger, ready to complete. */
async function readyMultipart(seed: number) {
  const file = bytesOf(2 * MiB + 17, seed);
  const up = (await api.create({ fileName: `f${seed}.bin`, size: file.length, crc64: crcOf(file) })).body.upload;
  const urls = (await api.partUrls(up.id, { partNumbers: [1, 2, 3] })).body.urls;
  const parts = [];
  for (const u of urls) {
    const put = await putPart(u, file.subarray((u.partNumber - 1) * MiB, u.partNumber * MiB));
    parts.push({ partNumber: u.partNumber, etag: put.etag!, crc64: put.crc64! });
  }
  await api.record(up.id, parts);
  return { up, file };
}

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

  it('List Parts and Complete: retried; persistent → 503, upload still open, a later complete succeeds', async () => {
    for (const op of ['ListParts', 'CompleteMultipartUpload'] as const) {
      const once = await readyMultipart(op.length);
      fault(op, action, 1);
      const ok = await api.complete(once.up.id);
      expect(ok.status, JSON.stringify(ok.body)).toBe(200);

      const { up, file } = await readyMultipart(op.length + 100);
      // One Complete attempt may use the whole budget (COS streams while it assembles): hang past it.
      fault(
        op,
        op === 'CompleteMultipartUpload' && action.type === 'delay' ? { type: 'delay', ms: 4000 } : action,
        1000,
      );
      expectUnavailable(await api.complete(up.id));
      stack.emulator.faults.clear();
      expect(['open', 'completed']).toContain((await api.get(up.id)).body.upload.state);
      const done = await api.complete(up.id);
      expect(done.status, JSON.stringify(done.body)).toBe(200);
      expect(done.body.upload).toMatchObject({ state: 'completed', crc64: crcOf(file) });
      const bytes = await getObjectBytes(officialCos(stack.cosUrl), stack.bucket, stack.region, up.key);
      expect(Buffer.compare(bytes, Buffer.from(file))).toBe(0);
    }
  });

  it('Abort: persistent faults → 503 but the upload is already aborted; DELETE again cleans COS', async () => {
    const { up } = await readyMultipart(7);
    fault('AbortMultipartUpload', action, 1000);
    expectUnavailable(await api.abort(up.id));
    expect((await api.get(up.id)).body.upload.state).toBe('aborted');
    expect((await api.record(up.id, [{ partNumber: 1, etag: '"00"' }])).status).toBe(409);
    stack.emulator.faults.clear();
    expect((await api.abort(up.id)).status).toBe(204);
    const cos = officialCos(stack.cosUrl);
    await expect(listParts(cos, stack, up.key, up.cosUploadId)).rejects.toMatchObject({ statusCode: 404 });
  });

  it('Head (single complete): retried; persistent → 503 and still open; later complete succeeds', async () => {
    const file = bytesOf(5000, 3);
    const up = (await api.create({ fileName: 's.bin', size: file.length })).body.upload;
    await putPart((await api.partUrls(up.id, { partNumbers: [1] })).body.urls[0]!, file);
    fault('HeadObject', action, 1000);
    expectUnavailable(await api.complete(up.id));
    expect((await api.get(up.id)).body.upload.state).toBe('open');
    stack.emulator.faults.clear();
    fault('HeadObject', action, 1);
    expect((await api.complete(up.id)).status).toBe(200);
  });
});

describe("Complete's 200 with an <Error> inside", () => {
  it('is retried; persistent → 503 with nothing completed; later succeeds', async () => {
    const once = await readyMultipart(40);
    fault('CompleteMultipartUpload', { type: 'completeError', code: 'InternalError' }, 1);
    expect((await api.complete(once.up.id)).status).toBe(200);

    const { up } = await readyMultipart(41);
    fault('CompleteMultipartUpload', { type: 'completeError', code: 'InternalError' }, 1000);
    expectUnavailable(await api.complete(up.id));
    expect((await api.get(up.id)).body.upload.state).toBe('open');
    stack.emulator.faults.clear();
    expect((await api.complete(up.id)).status).toBe(200);
  });
});

describe('crash safety', () => {
  it('a complete that died after COS assembled the object is finished on retry (NoSuchUpload → HEAD)', async () => {
    const { up, file } = await readyMultipart(50);
    const store = stack.deps.store;
    const original = store.transition.bind(store);
    // The process "dies" right after COS Complete succeeded, before the store records it.
    store.transition = async (id, t) => {
      if (t.to === 'completed') {
        store.transition = original;
        throw new Error('simulated crash');
      }
      return original(id, t);
    };
    const crashed = await api.complete(up.id);
    expect(crashed.status).toBe(500);
    expect((await store.get(up.id))!.state).toBe<UploadRecord['state']>('completing');
    // An abort cannot sneak in while it is completing.
    expect((await api.abort(up.id)).status).toBe(409);

    const retried = await api.complete(up.id);
    expect(retried.status, JSON.stringify(retried.body)).toBe(200);
    expect(retried.body.upload).toMatchObject({ state: 'completed', size: file.length, crc64: crcOf(file) });
    const bytes = await getObjectBytes(officialCos(stack.cosUrl), stack.bucket, stack.region, up.key);
    expect(Buffer.compare(bytes, Buffer.from(file))).toBe(0);
  });

  it('a complete that died before calling COS is taken over by the next complete', async () => {
    const { up } = await readyMultipart(51);
    const storage = stack.deps.storage;
    const original = storage.completeMultipart.bind(storage);
    storage.completeMultipart = async () => {
      storage.completeMultipart = original;
      throw new Error('simulated crash');
    };
    expect((await api.complete(up.id)).status).toBe(500);
    const retried = await api.complete(up.id);
    expect(retried.status, JSON.stringify(retried.body)).toBe(200);
  });

  it('a corrupt assembled object (CRC64 differs from the parts) is deleted and the upload reopened', async () => {
    const { up } = await readyMultipart(52);
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
    expect(after.state).toBe('open');
    expect(after.cosUploadId).not.toBe(up.cosUploadId);
    const cos = officialCos(stack.cosUrl);
    await expect(headObject(cos, stack, up.key)).rejects.toMatchObject({ statusCode: 404 });
  });
});
