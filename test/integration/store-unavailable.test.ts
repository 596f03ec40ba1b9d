import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '../../local/stack.ts';
import type { DynamoDbUploadStore } from '../../shared/store/dynamodb-store.ts';
import { apiClient, expectError } from '../helpers/api-client.ts';
import { answerWithError, leaveKeysUnprocessed } from '../helpers/dynamodb-faults.ts';
import { startTestDynamoDb } from '../helpers/dynamodb-local.ts';
import { startTestStack, type TestStack } from '../helpers/test-stack.ts';

/**
 * A throttled upload table, over HTTP: the API answers 503 STORE_UNAVAILABLE (retryable) with the
 * contract's error body and nothing of the cause, not an opaque 500; once the table recovers the
 * same request succeeds. The fault sits on the real DynamoDB client of the running stack, where
 * DynamoDB Local's answer enters the SDK, so the SDK's own retries run first.
 */
describe('STORE_UNAVAILABLE over HTTP (DynamoDB Local)', () => {
  let testStack: TestStack | undefined;
  let stack: LocalStack;
  let db: { endpoint: string; stop(): Promise<void> } | undefined;

  beforeAll(async () => {
    db = await startTestDynamoDb();
    testStack = await startTestStack('store-unavailable', {
      env: { UPLOADS_STORE: 'dynamodb', DYNAMODB_ENDPOINT: db.endpoint, UPLOADS_TABLE: 'store-unavailable' },
    });
    stack = testStack.stack;
  }, 120_000);

  afterAll(async () => {
    await testStack?.stop();
    await db?.stop();
  });

  const client = () => (stack.deps.store as DynamoDbUploadStore).client;

  function expectUnavailable(r: { status: number; body: unknown; headers: Headers }) {
    expectError(r, 503, 'STORE_UNAVAILABLE');
    const { error } = r.body as { error: { message: string; details: unknown } };
    expect(error.details).toEqual({});
    // Nothing of the cause reaches the client: no SDK error name, no stack, no request id.
    const text = JSON.stringify(r.body);
    for (const leak of ['Throttling', 'ProvisionedThroughput', 'at ', '.ts:', 'fault-'])
      expect(text).not.toContain(leak);
  }

  it('GET /v1/uploads/{id} with GetItem throttled answers 503 STORE_UNAVAILABLE, then 200 once it clears', async () => {
    const alice = apiClient(stack.apiUrl, await stack.token('alice'));
    const created = await alice.create({ fileName: 'a.bin', size: 10 });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const id = created.body.upload.id;

    const fault = answerWithError(client(), { ops: ['GetItem'], type: 'ThrottlingException' });
    try {
      expectUnavailable(await alice.get(id));
      expect(fault.hits, 'the SDK retried before giving up').toBeGreaterThan(1);
    } finally {
      fault.remove();
    }
    expect((await alice.get(id)).status).toBe(200);
  });

  it('POST /v1/uploads with the table throttling writes answers 503 and creates nothing', async () => {
    const bob = apiClient(stack.apiUrl, await stack.token('bob'));
    // An open upload is inserted with its quota counter, in one TransactWriteItems.
    const fault = answerWithError(client(), {
      ops: ['PutItem', 'TransactWriteItems'],
      type: 'ProvisionedThroughputExceededException',
    });
    try {
      expectUnavailable(await bob.create({ fileName: 'b.bin', size: 10 }));
    } finally {
      fault.remove();
    }
    const admin = apiClient(stack.apiUrl, await stack.token('root', { admin: true }));
    const listed = await admin.call<{ uploads: unknown[] }>('GET', '/v1/admin/uploads?owner=bob');
    expect(listed.status, JSON.stringify(listed.body)).toBe(200);
    expect(listed.body.uploads).toEqual([]);
  });

  it('the admin listing with BatchGetItem keys left unprocessed answers 503, never a short page', async () => {
    const carol = apiClient(stack.apiUrl, await stack.token('carol'));
    expect((await carol.create({ fileName: 'c.bin', size: 10 })).status).toBe(201);
    const admin = apiClient(stack.apiUrl, await stack.token('root', { admin: true }));
    const fault = leaveKeysUnprocessed(client());
    try {
      expectUnavailable(await admin.call('GET', '/v1/admin/uploads?owner=carol'));
    } finally {
      fault.remove();
    }
    const listed = await admin.call<{ uploads: unknown[] }>('GET', '/v1/admin/uploads?owner=carol');
    expect(listed.body.uploads).toHaveLength(1);
  }, 30_000);
});
