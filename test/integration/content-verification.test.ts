import { crc32, deflateSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '../../local/stack.ts';
import {
  type apiClient as ApiClient,
  apiClient,
  bytesOf,
  expectError,
  putPart,
  settled,
} from '../helpers/api-client.ts';
import { startTestDynamoDb } from '../helpers/dynamodb-local.ts';
import { headObject, officialCos } from '../helpers/official-cos.ts';
import { startTestStack, type TestStack } from '../helpers/test-stack.ts';

const MiB = 1024 * 1024;

/** A valid 1×1 grey PNG, built here: signature, IHDR, IDAT (zlib), IEND, each chunk with its CRC-32. */
function tinyPng(): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([length, body, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(1, 0); // width
  ihdr.writeUInt32BE(1, 4); // height
  ihdr.writeUInt8(8, 8); // bit depth
  ihdr.writeUInt8(0, 9); // greyscale
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(Buffer.from([0, 0x80]))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** The start of a Windows executable (DOS header + PE signature at the offset it names). */
function tinyExe(): Buffer {
  const b = Buffer.alloc(512);
  b.write('MZ', 0, 'latin1');
  b.writeUInt32LE(0x80, 0x3c);
  b.write('PE\0\0', 0x80, 'latin1');
  return b;
}

const text = (n: number) => Buffer.from('hello, this is plain text and not a picture\n'.repeat(n).slice(0, n));
const u8 = (b: Buffer) =>
  new Uint8Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.length)) as Uint8Array<ArrayBuffer>;

/** Creates, uploads every part (1 MiB parts in test stacks) and completes; returns the complete answer. */
async function uploadAndComplete(api: ReturnType<typeof ApiClient>, file: Buffer, contentType: string) {
  const created = await api.create({ fileName: 'file', size: file.length, contentType });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  const up = created.body.upload;
  const numbers = Array.from({ length: up.partCount! }, (_, i) => i + 1);
  const urls = (await api.partUrls(up.id, { partNumbers: numbers })).body.urls;
  const parts = [];
  for (const u of urls) {
    const put = await putPart(u, u8(file.subarray((u.partNumber - 1) * up.partSize, u.partNumber * up.partSize)));
    expect(put.status, put.text).toBe(200);
    parts.push({ partNumber: u.partNumber, etag: put.etag! });
  }
  return { up, done: await api.complete(up.id, up.strategy === 'multipart' ? { parts } : undefined) };
}

describe.each(['sqlite', 'dynamodb'] as const)(
  'content verification (VERIFY_CONTENT_TYPE=true), %s store',
  (backend) => {
    let testStack: TestStack | undefined;
    let stack: LocalStack;
    let db: Awaited<ReturnType<typeof startTestDynamoDb>> | undefined;
    let alice: ReturnType<typeof apiClient>;

    beforeAll(async () => {
      const storeEnv: Record<string, string> = {};
      if (backend === 'dynamodb') {
        db = await startTestDynamoDb();
        Object.assign(storeEnv, { UPLOADS_STORE: 'dynamodb', DYNAMODB_ENDPOINT: db.endpoint, UPLOADS_TABLE: 'verify' });
      }
      testStack = await startTestStack(`verify-${backend}`, { env: { VERIFY_CONTENT_TYPE: 'true', ...storeEnv } });
      stack = testStack.stack;
      alice = apiClient(stack.apiUrl, await stack.token('alice'));
    });
    afterAll(async () => {
      await testStack?.stop();
      await db?.stop();
    });

    const objectGone = async (key: string) =>
      expect(headObject(officialCos(stack.cosUrl), stack, key)).rejects.toMatchObject({ statusCode: 404 });

    it.each([
      ['single', 2_000],
      ['multipart', 2 * MiB + 17],
    ])(
      'a %s text file declared image/png: 409 CONTENT_MISMATCH, object deleted, upload aborted',
      async (strategy, n) => {
        const { up, done } = await uploadAndComplete(alice, text(n), 'image/png');
        expect(up.strategy).toBe(strategy);
        expectError(done, 409, 'CONTENT_MISMATCH');
        expect((done.body as unknown as { error: { details: unknown } }).error.details).toEqual({
          declared: 'image/png',
          detected: null,
        });
        await objectGone(up.key);
        const after = (await alice.get(up.id)).body.upload;
        expect(after.state).toBe('aborted');
        expect(after.lastError).toMatchObject({
          code: 'CONTENT_MISMATCH',
          details: { declared: 'image/png', detected: null },
        });
        // Ended: completing again cannot bring it back.
        expectError(await alice.complete(up.id), 409, 'UPLOAD_NOT_OPEN');
      },
    );

    it('an executable declared image/png names what it is', async () => {
      const { up, done } = await uploadAndComplete(alice, tinyExe(), 'image/png; charset=binary');
      expectError(done, 409, 'CONTENT_MISMATCH');
      expect((done.body as unknown as { error: { details: unknown } }).error.details).toEqual({
        declared: 'image/png',
        detected: 'application/x-msdownload',
      });
      await objectGone(up.key);
    });

    it.each([
      ['single', 0],
      ['multipart', 2 * MiB],
    ])('a real PNG (%s) completes', async (strategy, padding) => {
      // Bytes after IEND are still a PNG to a reader of its signature.
      const { up, done } = await uploadAndComplete(alice, Buffer.concat([tinyPng(), bytesOf(padding, 5)]), 'IMAGE/PNG');
      expect(up.strategy).toBe(strategy);
      expect(done.status, JSON.stringify(done.body)).toBe(200);
      expect(done.body.upload.state).toBe('completed');
      const head = await headObject(officialCos(stack.cosUrl), stack, up.key);
      expect(head.statusCode).toBe(200);
    });

    it('types the detector has no signature for pass: CSV as text/csv, text as text/plain', async () => {
      const csv = Buffer.from('id,name\n1,alice\n2,bob\n');
      for (const [file, type] of [
        [csv, 'text/csv'],
        [text(3 * MiB), 'text/plain'],
      ] as const) {
        const { done } = await uploadAndComplete(alice, file, type);
        expect(done.status, JSON.stringify(done.body)).toBe(200);
        expect(done.body.upload.state).toBe('completed');
      }
    });
  },
);

// One stack at a time: a stack installs the process's runtime, so two side by side would share one.
describe('content verification after a 202', () => {
  let testStack: TestStack | undefined;
  beforeAll(async () => {
    testStack = await startTestStack('verify-202', {
      env: { VERIFY_CONTENT_TYPE: 'true', COMPLETE_WAIT_SECONDS: '0' },
    });
  });
  afterAll(() => testStack?.stop());

  it('a mismatch the worker finds after the 202 shows on GET as aborted with lastError', async () => {
    const stack = testStack!.stack;
    const alice = apiClient(stack.apiUrl, await stack.token('alice'));
    const { up, done } = await uploadAndComplete(alice, text(2 * MiB + 5), 'image/png');
    expect(done.status, JSON.stringify(done.body)).toBe(202);
    const { upload, seen } = await settled(alice, up.id);
    expect(seen.at(-1)).toBe('aborted');
    expect(upload.lastError).toMatchObject({ code: 'CONTENT_MISMATCH' });
    await expect(headObject(officialCos(stack.cosUrl), stack, up.key)).rejects.toMatchObject({ statusCode: 404 });
  });
});

describe('content verification is off by default', () => {
  let testStack: TestStack | undefined;
  beforeAll(async () => {
    testStack = await startTestStack('verify-off');
  });
  afterAll(() => testStack?.stop());

  it('without VERIFY_CONTENT_TYPE, text declared image/png completes', async () => {
    const stack = testStack!.stack;
    expect(stack.config.VERIFY_CONTENT_TYPE).toBe(false);
    const alice = apiClient(stack.apiUrl, await stack.token('alice'));
    const { up, done } = await uploadAndComplete(alice, text(2_000), 'image/png');
    expect(done.status, JSON.stringify(done.body)).toBe(200);
    expect(done.body.upload.state).toBe('completed');
    expect((await headObject(officialCos(stack.cosUrl), stack, up.key)).statusCode).toBe(200);
  });
});
