import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ObjectStorage } from '../../shared/ports.ts';
import { bytesOf } from '../helpers/api-client.ts';
import { startTestStack, type TestStack } from '../helpers/test-stack.ts';

/** ObjectStorage.readRange over HTTP against the emulator: GET Object with Range (436/7753). */
let testStack: TestStack | undefined;
let storage: ObjectStorage;

beforeAll(async () => {
  testStack = await startTestStack('cos-read-range');
  storage = testStack.stack.deps.storage;
});
afterAll(() => testStack?.stop());

const headers = { contentType: 'application/octet-stream', metadata: {} };

describe('readRange', () => {
  it('reads the bytes asked for, fewer when the object is shorter', async () => {
    const body = bytesOf(10_000, 9);
    await storage.putObject('u/range/a.bin', body, headers);
    expect(Buffer.from((await storage.readRange('u/range/a.bin', 0, 4099))!)).toEqual(
      Buffer.from(body.subarray(0, 4100)),
    );
    expect(Buffer.from((await storage.readRange('u/range/a.bin', 9_990, 20_000))!)).toEqual(
      Buffer.from(body.subarray(9_990)),
    );
  });

  it('null for no object, no bytes for an empty one (416 InvalidRange)', async () => {
    expect(await storage.readRange('u/range/missing.bin', 0, 99)).toBeNull();
    await storage.putObject('u/range/empty.bin', new Uint8Array(0), headers);
    expect((await storage.readRange('u/range/empty.bin', 0, 99))!.length).toBe(0);
  });
});
