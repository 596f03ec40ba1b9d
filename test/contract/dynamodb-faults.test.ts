import { randomUUID } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { UploadError } from '../../shared/errors.ts';
import { DynamoDbUploadStore, ensureTable } from '../../shared/store/dynamodb-store.ts';
import { answerWithError, leaveKeysUnprocessed } from '../helpers/dynamodb-faults.ts';
import { startTestDynamoDb } from '../helpers/dynamodb-local.ts';
import { anUpload, at, sortedIds } from './fixtures.ts';

/**
 * The DynamoDB adapter's error boundary, on DynamoDB Local with faults injected where DynamoDB's
 * answer enters the SDK: what the SDK gives up on after its own retries is STORE_UNAVAILABLE (503,
 * retryable), each of those retries is logged, and our own bugs stay what they are.
 */
let db: Awaited<ReturnType<typeof startTestDynamoDb>>;
let admin: DynamoDBClient;
let table: string;

const clientConfig = (over: DynamoDBClientConfig = {}): DynamoDBClientConfig => ({
  endpoint: db.endpoint,
  region: 'us-east-1',
  credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  // Three attempts (the SDK's standard strategy, throttling backoff and all) keep the tests short.
  maxAttempts: 3,
  ...over,
});

beforeAll(async () => {
  db = await startTestDynamoDb();
  admin = new DynamoDBClient(clientConfig());
  table = `faults-${randomUUID()}`;
  await ensureTable(admin, table);
});

afterAll(async () => {
  admin?.destroy();
  await db?.stop();
});

const stores: DynamoDbUploadStore[] = [];
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
});

function storeWithLog(over: DynamoDBClientConfig = {}) {
  const lines: Record<string, unknown>[] = [];
  const client = new DynamoDBClient(clientConfig(over));
  const store = new DynamoDbUploadStore({
    client,
    table,
    log: (line) => lines.push(line),
    batchGetRetry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 5 },
  });
  stores.push(store);
  return { client, store, lines };
}

const unavailable = { name: 'UploadError', status: 503, code: 'STORE_UNAVAILABLE', details: {} };

async function rejection(p: Promise<unknown>): Promise<UploadError> {
  const e = await p.then(
    () => {
      throw new Error('expected a rejection');
    },
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(UploadError);
  return e as UploadError;
}

describe('DynamoDB throttling and server errors', () => {
  it('a GetItem throttled on every attempt: the SDK retries, each retry is logged, the store answers STORE_UNAVAILABLE', async () => {
    const { client, store, lines } = storeWithLog();
    const u = anUpload();
    await store.create(u);
    const fault = answerWithError(client, { ops: ['GetItem'], type: 'ThrottlingException' });

    const e = await rejection(store.get(u.id));
    expect(e).toMatchObject(unavailable);
    expect(e.cause).toMatchObject({ name: 'ThrottlingException', $metadata: { attempts: 3 } });
    expect(fault.hits).toBe(3);
    expect(lines).toEqual(
      [1, 2].map((attempt) => ({
        msg: 'dynamodb retry',
        op: 'GetItem',
        attempt,
        error: 'ThrottlingException',
        status: 400,
        requestId: `fault-${attempt}`,
        delayMs: expect.any(Number),
        uploadId: u.id,
      })),
    );
    // The throttling backoff really slept (the standard strategy's base is 500 ms, jittered).
    const slept = lines.reduce((sum, l) => sum + Number(l.delayMs), 0);
    expect(slept).toBeGreaterThan(0);
    // Nothing of the item, nor any key beyond the upload id, is in the log.
    const logged = JSON.stringify(lines);
    for (const secret of [u.owner, u.key, u.fileName, 'UPLOAD#', 'META']) expect(logged).not.toContain(secret);

    fault.remove();
    expect(await store.get(u.id)).toEqual(u);
  });

  it('a throttle that clears is retried by the SDK and logged once; the caller never sees it', async () => {
    const { client, store, lines } = storeWithLog();
    const u = anUpload({ owner: `owner-${randomUUID()}` });
    await store.create(u);
    // Leaving `open` moves the quota counter too: one TransactWriteItems (dynamodb-quota.ts).
    answerWithError(client, { ops: ['TransactWriteItems'], type: 'ProvisionedThroughputExceededException', times: 1 });
    expect(await store.transition(u.id, { from: ['open'], to: 'completing', at: at(1) })).toMatchObject({
      state: 'completing',
    });
    expect(lines).toMatchObject([
      { msg: 'dynamodb retry', op: 'TransactWriteItems', attempt: 1, error: 'ProvisionedThroughputExceededException' },
    ]);
    expect(await store.countOpenByOwner(u.owner)).toBe(0);
  });

  it.each([
    ['ProvisionedThroughputExceededException', 400],
    ['ThrottlingException', 400],
    ['RequestLimitExceeded', 400],
    ['InternalServerError', 500],
    ['ServiceUnavailable', 503],
  ])('%s on every store operation is STORE_UNAVAILABLE, never a 500 or a lost race', async (type, status) => {
    const { client, store } = storeWithLog({ maxAttempts: 1 });
    const u = anUpload();
    await store.create(u);
    const ops = ['GetItem', 'PutItem', 'UpdateItem', 'Query', 'BatchGetItem', 'TransactWriteItems', 'DeleteItem'];
    const fault = answerWithError(client, { ops, type, status });
    const part = { partNumber: 1, etag: '"e"', size: 1, crc64: null };
    const calls: Promise<unknown>[] = [
      store.create(anUpload()),
      store.get(u.id),
      store.transition(u.id, { from: ['open'], to: 'aborted', at: at(1) }),
      store.putParts(u.id, [part], at(1)),
      store.touch(u.id, at(1)),
      store.listParts(u.id),
      store.countOpenByOwner(u.owner),
      store.findCompletedByContent(u.owner, { size: 1, crc64: '1' }, 10),
      store.list({ limit: 10 }),
      store.listOpenInactiveSince(at(10), 10),
      store.listOpenExpired(at(10), 10),
      store.repairOpenCounts(u.owner, at(10)),
      store.claimIdempotencyKey(
        { owner: u.owner, key: 'k', fingerprint: 'f', claim: 'c', leaseUntil: at(60), expiresAt: at(86_400) },
        at(1),
      ),
      store.releaseIdempotencyKey(u.owner, 'k', 'c'),
    ];
    for (const call of calls) expect(await rejection(call)).toMatchObject(unavailable);
    fault.remove();
    // None of them wrote anything: the upload is as it was.
    expect(await store.get(u.id)).toEqual(u);
  });

  it('a conditional check failure is still the port’s null/false, and a ValidationException (our bug) is left as it is', async () => {
    const { client, store, lines } = storeWithLog();
    const u = anUpload({ state: 'completed' });
    await store.create(u);
    expect(await store.transition(u.id, { from: ['open'], to: 'aborted', at: at(1) })).toBeNull();
    expect(await store.touch(u.id, at(1))).toBe(false);

    const fault = answerWithError(client, { ops: ['GetItem'], type: 'ValidationException' });
    const e = await store.get(u.id).catch((err: unknown) => err);
    expect(e).not.toBeInstanceOf(UploadError);
    expect(e).toMatchObject({ name: 'ValidationException' });
    expect(fault.hits, 'not retried').toBe(1);
    expect(lines).toEqual([]);
  });
});

describe('DynamoDB unreachable', () => {
  let silent: Server;
  const sockets = new Set<Socket>();
  let refusedPort: number;
  beforeAll(async () => {
    // A port that refuses: bind one, learn its number, close it.
    const probe = createServer().listen(0, '127.0.0.1');
    await new Promise((r) => probe.once('listening', r));
    refusedPort = (probe.address() as { port: number }).port;
    await new Promise((r) => probe.close(r));
    // A server that accepts and never answers.
    silent = createServer((socket) => void sockets.add(socket)).listen(0, '127.0.0.1');
    await new Promise((r) => silent.once('listening', r));
  });
  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((r) => silent?.close(r));
  });

  it('a refused connection, after the SDK’s retries (logged), is STORE_UNAVAILABLE', async () => {
    const { store, lines } = storeWithLog({ endpoint: `http://127.0.0.1:${refusedPort}`, maxAttempts: 2 });
    const e = await rejection(store.get('upl_x'));
    expect(e).toMatchObject(unavailable);
    expect(e.cause).toMatchObject({ code: 'ECONNREFUSED' });
    expect(lines).toMatchObject([{ msg: 'dynamodb retry', op: 'GetItem', attempt: 1, code: 'ECONNREFUSED' }]);
  });

  it('a request timeout, after the SDK’s retries, is STORE_UNAVAILABLE', async () => {
    const { port } = silent.address() as { port: number };
    const { store, lines } = storeWithLog({
      endpoint: `http://127.0.0.1:${port}`,
      maxAttempts: 2,
      requestHandler: { requestTimeout: 100, throwOnRequestTimeout: true },
    });
    const e = await rejection(store.transition('upl_x', { from: ['open'], to: 'aborted', at: at(1) }));
    expect(e).toMatchObject(unavailable);
    expect(e.cause).toMatchObject({ name: 'TimeoutError' });
    // Its first call is the read of the upload's quota mark (dynamodb-store.ts transition).
    expect(lines).toMatchObject([{ msg: 'dynamodb retry', op: 'GetItem', attempt: 1, error: 'TimeoutError' }]);
  });
});

describe('BatchGetItem unprocessed keys', () => {
  it('keys DynamoDB keeps leaving unprocessed make the listing STORE_UNAVAILABLE, never a short page', async () => {
    const { client, store, lines } = storeWithLog();
    const owner = `owner-${randomUUID()}`;
    for (let i = 0; i < 3; i++) await store.create(anUpload({ owner, createdAt: at(i) }));
    const fault = leaveKeysUnprocessed(client);
    const e = await rejection(store.list({ owner, limit: 10 }));
    expect(e).toMatchObject(unavailable);
    expect((e.cause as Error).message).toMatch(/left 3 keys unprocessed after 3 attempts/);
    expect(fault.hits).toBe(3);
    expect(lines).toEqual(
      [1, 2].map((attempt) => ({
        msg: 'dynamodb retry',
        op: 'BatchGetItem',
        attempt,
        error: 'UnprocessedKeys',
        unprocessed: 3,
        delayMs: Math.min(5, 2 ** attempt),
      })),
    );
  });

  it('keys left unprocessed once are asked for again and the page is whole', async () => {
    const { client, store, lines } = storeWithLog();
    const owner = `owner-${randomUUID()}`;
    const made = [];
    for (let i = 0; i < 3; i++) {
      const u = anUpload({ owner, createdAt: at(i) });
      made.push(u);
      await store.create(u);
    }
    leaveKeysUnprocessed(client, { times: 1 });
    const page = await store.list({ owner, limit: 10 });
    expect(sortedIds(page.items)).toEqual(sortedIds(made));
    expect(lines).toMatchObject([{ op: 'BatchGetItem', attempt: 1, error: 'UnprocessedKeys' }]);
  });
});

describe('DynamoDbUploadStore.close', () => {
  it('destroys the client it owns; a second close is harmless', async () => {
    const client = new DynamoDBClient(clientConfig());
    let destroyed = 0;
    const destroy = client.destroy.bind(client);
    client.destroy = () => {
      destroyed++;
      destroy();
    };
    const store = new DynamoDbUploadStore({ client, table });
    await store.get('upl_x');
    await store.close();
    await store.close();
    expect(destroyed).toBe(1);
  });
});
