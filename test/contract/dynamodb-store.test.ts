import { randomUUID } from 'node:crypto';
import {
  CreateTableCommand,
  DeleteTableCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbUploadStore, ensureTable } from '../../shared/store/dynamodb-store.ts';
import { tableDefinition } from '../../shared/store/dynamodb-table.ts';
import { startTestDynamoDb } from '../helpers/dynamodb-local.ts';
import { anUpload, at, etagOf } from './fixtures.ts';
import { describeUploadStoreContract } from './upload-store.contract.ts';

let db: Awaited<ReturnType<typeof startTestDynamoDb>>;
/** The tests' own client (tables, raw reads); each store gets one of its own, which its close() destroys. */
let client: DynamoDBClient;
const newClient = () =>
  new DynamoDBClient({
    endpoint: db.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });

beforeAll(async () => {
  db = await startTestDynamoDb();
  client = newClient();
});

afterAll(async () => {
  client?.destroy();
  await db?.stop();
});

describeUploadStoreContract('dynamodb (DynamoDB Local)', async () => {
  const table = `uploads-${randomUUID()}`;
  await ensureTable(client, table);
  const store = new DynamoDbUploadStore({ client: newClient(), table });
  return {
    store,
    async counter(owner, profile) {
      const key = { pk: `QUOTA#${owner}`, sk: profile === null ? 'ALL' : `PROFILE#${profile}` };
      const out = await DynamoDBDocumentClient.from(client).send(
        new GetCommand({ TableName: table, Key: key, ConsistentRead: true }),
      );
      return typeof out.Item?.open === 'number' ? out.Item.open : 0;
    },
    async close() {
      await store.close();
      await client.send(new DeleteTableCommand({ TableName: table }));
    },
  };
});

/** What only DynamoDB has: write cost, ttl, sparse index membership, table creation. */
describe('DynamoDbUploadStore specifics', () => {
  const stores: DynamoDbUploadStore[] = [];
  afterEach(async () => {
    for (const s of stores.splice(0)) await s.close();
  });
  const fresh = async () => {
    const table = `uploads-${randomUUID()}`;
    await ensureTable(client, table);
    const store = new DynamoDbUploadStore({ client: newClient(), table });
    stores.push(store);
    return { table, store };
  };
  const raw = async (table: string, pk: string, sk = 'META') => {
    const out = await DynamoDBDocumentClient.from(client).send(new GetCommand({ TableName: table, Key: { pk, sk } }));
    return out.Item;
  };

  it('records 10,000 parts in batches of 1,000 for under 1,500 write capacity units', async () => {
    const { store } = await fresh();
    const u = anUpload({ expiresAt: at(86_400) });
    await store.create(u);
    const before = store.consumedWriteUnits;
    for (let b = 0; b < 10; b++) {
      const batch = Array.from({ length: 1_000 }, (_, i) => {
        const n = b * 1_000 + i + 1;
        // Realistic worst case per part: a quoted MD5 ETag, an 8 MiB size, a 20-digit CRC64.
        return { partNumber: n, etag: etagOf(`p${n}`), size: 8 * 1024 ** 2, crc64: '18446744073709551615' };
      });
      expect(await store.putParts(u.id, batch, at(1 + b))).toBe(true);
    }
    const used = store.consumedWriteUnits - before;
    expect(used).toBeGreaterThan(0);
    expect(used, `${used} WCU`).toBeLessThan(1_500);
    console.info(`10,000 parts recorded for ${used} WCU`);
    expect(await store.listParts(u.id)).toHaveLength(10_000);
  });

  it('keeps uploads in the sweep indexes only while open, and sets ttl when terminal', async () => {
    const { table, store } = await fresh();
    const u = anUpload();
    await store.create(u);
    // Within a minute of the indexed activity only the item's lastActivityAt moves (no index write)...
    await store.putParts(u.id, [{ partNumber: 150, etag: '"e"', size: 1, crc64: null }], at(30));
    expect(await raw(table, `UPLOAD#${u.id}`)).toMatchObject({ lastActivityAt: at(30), gsi1sk: `${at(0)}#${u.id}` });
    // ...a minute or more later the byActivity key follows it.
    await store.touch(u.id, at(61));
    const open = await raw(table, `UPLOAD#${u.id}`);
    expect(open).toMatchObject({
      lastActivityAt: at(61),
      gsi1sk: `${at(61)}#${u.id}`,
      gsi4pk: expect.stringMatching(/^STATE#open#/),
    });
    expect(open?.gsi1pk).toMatch(/^OPEN#\d+$/);
    expect(open?.gsi2pk).toBe(open?.gsi1pk);
    expect(open?.ttl).toBeUndefined();
    const chunk = await raw(table, `UPLOAD#${u.id}`, 'PARTS#1');
    expect(chunk?.ttl).toBe(Date.parse(u.expiresAt) / 1000 + 30 * 86_400);

    await store.transition(u.id, { from: ['open'], to: 'completed', at: at(10) });
    const done = await raw(table, `UPLOAD#${u.id}`);
    expect(done?.gsi1pk).toBeUndefined();
    expect(done?.gsi2pk).toBeUndefined();
    expect(done?.gsi4pk).toMatch(/^STATE#completed#/);
    expect(done?.ttl).toBe(Date.parse(at(10)) / 1000 + 30 * 86_400);
  });

  it('a lagging byActivity key never makes the stale listing report an upload active since', async () => {
    const { store } = await fresh();
    const u = anUpload({ lastActivityAt: at(0) });
    await store.create(u);
    await store.putParts(u.id, [{ partNumber: 1, etag: '"e"', size: 1, crc64: null }], at(30));
    expect((await store.listOpenInactiveSince(at(10), 10)).items).toEqual([]);
    expect((await store.listOpenInactiveSince(at(31), 10)).items.map((x) => x.id)).toEqual([u.id]);
  });

  it('ensureTable is idempotent and turns TTL on', async () => {
    const { table } = await fresh();
    await ensureTable(client, table);
    const ttl = await client.send(new DescribeTimeToLiveCommand({ TableName: table }));
    expect(ttl.TimeToLiveDescription).toMatchObject({ AttributeName: 'ttl', TimeToLiveStatus: 'ENABLED' });
  });

  it('ensureTable adds an index a table made before it existed lacks (byContent), and dedupe reads it', async () => {
    const table = `uploads-${randomUUID()}`;
    const { BillingMode, KeySchema, GlobalSecondaryIndexes, AttributeDefinitions } = tableDefinition;
    const older = GlobalSecondaryIndexes.filter((g) => g.IndexName !== 'byContent');
    await client.send(
      new CreateTableCommand({
        TableName: table,
        BillingMode,
        KeySchema,
        GlobalSecondaryIndexes: older,
        AttributeDefinitions: AttributeDefinitions.filter((a) => !a.AttributeName.startsWith('gsi5')),
      }),
    );
    await ensureTable(client, table);
    const described = await client.send(new DescribeTableCommand({ TableName: table }));
    const indexes = described.Table?.GlobalSecondaryIndexes ?? [];
    expect(indexes.map((g) => g.IndexName).sort()).toEqual(GlobalSecondaryIndexes.map((g) => g.IndexName).sort());
    expect(indexes.every((g) => g.IndexStatus === 'ACTIVE')).toBe(true);
    const store = new DynamoDbUploadStore({ client: newClient(), table });
    stores.push(store);
    const u = anUpload({ state: 'completed', size: 0, partCount: 1, crc64: '0', etag: '"e"', completedAt: at(0) });
    await store.create(u);
    expect((await store.findCompletedByContent(u.owner, { size: 0, crc64: '0' }, 5)).map((x) => x.id)).toEqual([u.id]);
    await client.send(new DeleteTableCommand({ TableName: table }));
  });
});
