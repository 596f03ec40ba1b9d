import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  type StreamViewType,
} from '@aws-sdk/client-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handler as completeWorker } from '../../functions/complete-worker.ts';
import type { StreamHandler } from '../../local/dynamodb-stream-trigger.ts';
import type { LocalStack } from '../../local/stack.ts';
import type { ObjectStorage } from '../../shared/ports.ts';
import { installRuntime } from '../../shared/runtime/current.ts';
import { ensureTable, tableDefinition } from '../../shared/store/dynamodb-table.ts';
import { apiClient, readyMultipart, settled } from '../helpers/api-client.ts';
import { startTestDynamoDb } from '../helpers/dynamodb-local.ts';
import { getObjectBytes, headObject, officialCos } from '../helpers/official-cos.ts';
import { startTestStack, type TestStack } from '../helpers/test-stack.ts';

/**
 * On DynamoDB nothing in the API process runs a completion worker: the table's stream does. Here
 * the local stack's stream trigger reads DynamoDB Local's real stream and invokes the real
 * complete-worker handler; the test only wraps that handler to watch (and once, to crash) it.
 */
const LEASE_SECONDS = 2;

interface Delivery {
  uploadId: string;
  record: DynamoDBRecord;
  /** The handler threw, or reported this record failed. */
  failed: boolean;
}

let db: { endpoint: string; stop(): Promise<void> } | undefined;
let testStack: TestStack | undefined;
let stack: LocalStack;
let api: ReturnType<typeof apiClient>;
const deliveries: Delivery[] = [];
/** Uploads whose next delivery crashes before the worker runs (a Lambda dying at start-up). */
const crashAtStart = new Set<string>();

const uploadIdOf = (r: DynamoDBRecord) => (r.dynamodb?.NewImage?.pk?.S ?? '').replace(/^UPLOAD#/, '');

const watching: StreamHandler = async (event, context) => {
  const ids = event.Records.map(uploadIdOf);
  const crash = ids.find((id) => crashAtStart.delete(id));
  if (crash) {
    for (const [i, record] of event.Records.entries()) deliveries.push({ uploadId: ids[i]!, record, failed: true });
    throw new Error('worker crashed at start');
  }
  const result = await completeWorker(event, context);
  const failed = new Set(result.batchItemFailures.map((f) => f.itemIdentifier));
  for (const [i, record] of event.Records.entries()) {
    deliveries.push({ uploadId: ids[i]!, record, failed: failed.has(record.dynamodb?.SequenceNumber ?? '') });
  }
  return result;
};

beforeAll(async () => {
  db = await startTestDynamoDb();
  testStack = await startTestStack('complete-worker-dynamodb', {
    env: {
      UPLOADS_STORE: 'dynamodb',
      DYNAMODB_ENDPOINT: db.endpoint,
      UPLOADS_TABLE: 'complete-worker',
      COMPLETE_WAIT_SECONDS: '1',
    },
    // A lease of seconds, so a dead worker's upload can be taken over within the test.
    worker: { leaseSeconds: LEASE_SECONDS, headPollMs: 100, maxHeadPollMs: 200 },
    streamTrigger: { handler: watching, retryDelayMs: 100 },
  });
  stack = testStack.stack;
  api = apiClient(stack.apiUrl, await stack.token('alice'));
}, 120_000);

afterAll(async () => {
  await testStack?.stop();
  await db?.stop();
});

async function until(what: string, ok: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await ok())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Completed with COS's ETag and the exact bytes. */
async function expectCompleted(id: string, key: string, file: Uint8Array, timeoutMs?: number) {
  const { upload, seen } = await settled(api, id, timeoutMs);
  // GET never showed the upload reopened or aborted while the worker merged (a fast one may
  // have finished before the first look).
  expect(seen.filter((s) => s !== 'completing')).toEqual(['completed']);
  const cos = officialCos(stack.cosUrl);
  const head = await headObject(cos, stack, key);
  expect(upload).toMatchObject({ state: 'completed', size: file.length, etag: head.headers.etag, lastError: null });
  expect(Buffer.compare(await getObjectBytes(cos, stack.bucket, stack.region, key), Buffer.from(file))).toBe(0);
}

const of = (id: string) => deliveries.filter((d) => d.uploadId === id);

describe('completion workers started by the DynamoDB stream', () => {
  it('a 60-second merge: 202 completing, then the stream-started worker completes it', async () => {
    const { up, file } = await readyMultipart(api, 1, { extra: 321 });
    // Real COS merges big objects for minutes (436/7742): a minute here, as in test/e2e/slow-merge.test.ts.
    stack.emulator.faults.add({ op: 'CompleteMultipartUpload', action: { type: 'slowMerge', ms: 60_000 } });
    const before = stack.streamTrigger!.stats.invocations;

    const started = Date.now();
    const r = await api.complete(up.id);
    expect(r.status, JSON.stringify(r.body)).toBe(202);
    expect(r.body.upload.state).toBe('completing');
    expect(Number(r.headers.get('retry-after'))).toBeGreaterThan(0);
    // It answered on COMPLETE_WAIT_SECONDS, while COS was still merging.
    expect(Date.now() - started).toBeLessThan(3_500);

    await expectCompleted(up.id, up.key, file, 90_000);
    expect(Date.now() - started).toBeGreaterThanOrEqual(59_000);
    expect(stack.streamTrigger!.stats.invocations).toBeGreaterThan(before);
    // The worker ran on the stream's own record of the complete's write: META, completing, no lease.
    const [first, ...rest] = of(up.id);
    expect(first?.failed).toBe(false);
    expect(first?.record).toMatchObject({
      eventSource: 'aws:dynamodb',
      eventName: 'MODIFY',
      eventSourceARN: stack.streamTrigger!.streamArn,
      dynamodb: {
        StreamViewType: 'NEW_IMAGE',
        Keys: { pk: { S: `UPLOAD#${up.id}` }, sk: { S: 'META' } },
        NewImage: { state: { S: 'completing' }, leaseUntil: { NULL: true } },
        SequenceNumber: expect.any(String),
        ApproximateCreationDateTime: expect.any(Number),
      },
    });
    // The filter kept out the worker's own writes (the lease, `completed`): one run did it all.
    expect(rest).toEqual([]);
  }, 150_000);

  it('a handler that crashes before the worker runs is retried by the trigger, and the retry completes it', async () => {
    const { up, file } = await readyMultipart(api, 2, { extra: 321 });
    crashAtStart.add(up.id);

    const r = await api.complete(up.id);
    expect([200, 202], JSON.stringify(r.body)).toContain(r.status);
    await expectCompleted(up.id, up.key, file);
    expect(of(up.id).map((d) => d.failed)).toEqual([true, false]);
    // The retry is the same stream record again.
    const [crashed, retried] = of(up.id);
    expect(retried!.record.dynamodb?.SequenceNumber).toBe(crashed!.record.dynamodb?.SequenceNumber);
  });

  it('a worker that dies mid-merge keeps its lease; once it runs out, complete re-drives it through the stream', async () => {
    const { up, file } = await readyMultipart(api, 3, { extra: 321 });
    stack.emulator.faults.add({ op: 'CompleteMultipartUpload', action: { type: 'slowMerge', ms: 4000 } });
    const real = stack.deps.storage;
    const hitsBefore = stack.emulator.faults.hits;
    let merge: Promise<unknown> | undefined;
    let completes = 0;
    // The first Complete reaches COS, which goes on merging; the worker that sent it dies.
    const dying: ObjectStorage['completeMultipart'] = async (...args) => {
      completes++;
      if (merge) return real.completeMultipart(...args);
      merge = real.completeMultipart(...args).catch(() => undefined);
      await until('COS to start the merge', () => stack.emulator.faults.hits > hitsBefore);
      throw new Error('worker killed mid-merge');
    };
    installRuntime(stack.runtime.with({ storage: withComplete(real, dying) }));
    try {
      const r = await api.complete(up.id);
      expect(r.status, JSON.stringify(r.body)).toBe(202);
      // The stream's retry of the record finds the dead worker's lease and leaves the upload alone.
      await until('the retry', () => of(up.id).length >= 2);
      expect(of(up.id).map((d) => d.failed)).toEqual([true, false]);
      const held = await stack.deps.store.get(up.id);
      // What the dead worker managed to say (a bug's message is not repeated to clients).
      expect(held).toMatchObject({ state: 'completing', lastError: { code: 'INTERNAL' } });
      expect(held!.leaseUntil).not.toBeNull();

      // The lease runs out: the next complete hands the upload to a new worker, through the stream.
      await until(
        'the lease to run out',
        () => Date.now() > Date.parse(held!.leaseUntil!),
        LEASE_SECONDS * 1000 + 1000,
      );
      const again = await api.complete(up.id);
      expect([200, 202], JSON.stringify(again.body)).toContain(again.status);
      await expectCompleted(up.id, up.key, file);
      expect(of(up.id).map((d) => d.failed)).toEqual([true, false, false]);
      expect(of(up.id)[2]!.record.dynamodb?.SequenceNumber).not.toBe(of(up.id)[0]!.record.dynamodb?.SequenceNumber);
      // The new worker found COS merging (or done) and waited for that object: no second Complete.
      expect(completes).toBe(1);
    } finally {
      installRuntime(stack.runtime);
      await merge;
    }
  });
});

describe('ensureTable and the stream', () => {
  const client = () =>
    new DynamoDBClient({
      endpoint: db!.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
  /** A table as ensureTable made it before there was a stream, or with another one. */
  const bareTable = async (c: DynamoDBClient, name: string, stream?: StreamViewType) => {
    const { BillingMode, AttributeDefinitions, KeySchema, GlobalSecondaryIndexes } = tableDefinition;
    await c.send(
      new CreateTableCommand({
        TableName: name,
        BillingMode,
        AttributeDefinitions,
        KeySchema,
        GlobalSecondaryIndexes,
        ...(stream ? { StreamSpecification: { StreamEnabled: true, StreamViewType: stream } } : {}),
      }),
    );
  };
  const streamOf = async (c: DynamoDBClient, name: string) =>
    (await c.send(new DescribeTableCommand({ TableName: name }))).Table?.StreamSpecification;

  it('turns the stream on for an existing table without one, once, even when two start-ups race', async () => {
    const c = client();
    try {
      await bareTable(c, 'old-local-table');
      expect(await streamOf(c, 'old-local-table')).toBeUndefined();
      await Promise.all([ensureTable(c, 'old-local-table'), ensureTable(c, 'old-local-table')]);
      expect(await streamOf(c, 'old-local-table')).toEqual({ StreamEnabled: true, StreamViewType: 'NEW_IMAGE' });
      await ensureTable(c, 'old-local-table');
    } finally {
      c.destroy();
    }
  });

  it("refuses a table whose stream carries another view: changing it is not start-up's call", async () => {
    const c = client();
    try {
      await bareTable(c, 'keys-only-table', 'KEYS_ONLY');
      await expect(ensureTable(c, 'keys-only-table')).rejects.toThrow(/streams KEYS_ONLY.*needs NEW_IMAGE/);
    } finally {
      c.destroy();
    }
  });
});

/** `storage` with its completeMultipart replaced; every other method still the real one's. */
function withComplete(storage: ObjectStorage, completeMultipart: ObjectStorage['completeMultipart']): ObjectStorage {
  return new Proxy(storage, {
    get(target, prop) {
      if (prop === 'completeMultipart') return completeMultipart;
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
