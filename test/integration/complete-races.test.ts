import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '../../local/stack.ts';
import { type Answer, apiClient, bytesOf, crcOf, putPart } from '../helpers/api-client.ts';
import { headObject, officialCos } from '../helpers/official-cos.ts';
import { startTestStack, type TestStack } from '../helpers/test-stack.ts';

/**
 * The issue that motivated the worker's design: two concurrent completes of an upload whose bytes
 * do not match its recorded CRC64 once ended `completed` with the object deleted. Now the merge has
 * one owner (the lease), the reopen is one conditional write, and only its winner deletes: the
 * honest outcome is 409 and `open`, and `completed` never shows without its object.
 */
let testStack: TestStack | undefined;
let stack: LocalStack;
let alice: ReturnType<typeof apiClient>;

beforeAll(async () => {
  testStack = await startTestStack('complete-races');
  stack = testStack.stack;
  alice = apiClient(stack.apiUrl, await stack.token('alice'));
});
afterAll(() => testStack?.stop());

const objectExists = async (key: string) =>
  headObject(officialCos(stack.cosUrl), stack, key).then(
    () => true,
    (e: { statusCode?: number }) => {
      if (e.statusCode === 404) return false;
      throw e;
    },
  );

/** A sent single upload whose client recorded a CRC64 that its bytes do not have. */
async function mismatched(seed: number) {
  const file = bytesOf(32 * 1024 + seed, seed);
  const created = await alice.create({ fileName: `r${seed}.bin`, size: file.length });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  const up = created.body.upload;
  const url = (await alice.partUrls(up.id, { partNumbers: [1] })).body.urls[0]!;
  const put = await putPart(url, file);
  expect(put.status).toBe(200);
  const wrong = crcOf(bytesOf(file.length, seed + 10_000)); // other bytes (seeds 0 and 1 are alike)
  return { up, parts: [{ partNumber: 1, etag: put.etag!, crc64: wrong }] };
}

const codeOf = (r: Answer) => (r.body as { error?: { code: string } }).error?.code;

describe.each([
  ['without faults', 0],
  ['with a delayed DeleteObject', 50],
])('two concurrent completes of a CRC-mismatched upload, 100 rounds, %s', (_name, deleteDelayMs) => {
  it('never completed without the object; the outcome is 409 PARTS_INVALID and open', async () => {
    for (let round = 0; round < 100; round++) {
      if (deleteDelayMs) {
        stack.emulator.faults.add({ op: 'DeleteObject', count: 2, action: { type: 'delay', ms: deleteDelayMs } });
      }
      const { up, parts } = await mismatched(round + deleteDelayMs);
      const answers = await Promise.all([alice.complete(up.id, { parts }), alice.complete(up.id, { parts })]);
      const after = (await alice.get(up.id)).body.upload;
      // Whatever the interleaving, a completed upload has its object.
      if (after.state === 'completed') expect(await objectExists(up.key)).toBe(true);
      for (const a of answers) {
        expect(a.status, `round ${round}: ${JSON.stringify(a.body)}`).toBe(409);
        expect(codeOf(a)).toBe('PARTS_INVALID');
      }
      expect(after.state, `round ${round}`).toBe('open');
      expect(after.lastError).toMatchObject({ code: 'PARTS_INVALID' });
      expect(after.cosUploadId).not.toBe(up.cosUploadId);
      // The corrupt object is deleted by the one reopen that won (maybe a moment after the answers).
      for (let i = 0; i < 50 && (await objectExists(up.key)); i++) await new Promise((r) => setTimeout(r, 20));
      expect(await objectExists(up.key), `round ${round}`).toBe(false);
      stack.emulator.faults.clear();
      expect((await alice.abort(up.id)).status).toBe(204); // within the quota for the next rounds
    }
  });
});
