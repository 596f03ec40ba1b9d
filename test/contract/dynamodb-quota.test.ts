import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { toItem } from '../../shared/store/dynamodb-item.ts';
import { DynamoDbUploadStore, ensureTable } from '../../shared/store/dynamodb-store.ts';
import { startTestDynamoDb } from '../helpers/dynamodb-local.ts';
import { anUpload, at } from './fixtures.ts';

/**
 * The quota counters' repair (dynamodb-quota.ts) on DynamoDB Local: a counter corrupted on purpose
 * is set back to the truth, uploads from before the counters join them, and a counter that moved
 * within the last minute is left for later (the owner index may not show that move yet).
 */
let db: Awaited<ReturnType<typeof startTestDynamoDb>>;
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

const stores: DynamoDbUploadStore[] = [];
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
});

async function fresh() {
  const table = `quota-${randomUUID()}`;
  await ensureTable(client, table);
  const store = new DynamoDbUploadStore({ client: newClient(), table });
  stores.push(store);
  const doc = DynamoDBDocumentClient.from(client);
  const counterKey = (owner: string, profile: string | null) => ({
    pk: `QUOTA#${owner}`,
    sk: profile === null ? 'ALL' : `PROFILE#${profile}`,
  });
  return {
    store,
    put: (item: Record<string, unknown>) => doc.send(new PutCommand({ TableName: table, Item: item })),
    counter: async (owner: string, profile: string | null = null) =>
      (await doc.send(new GetCommand({ TableName: table, Key: counterKey(owner, profile), ConsistentRead: true })))
        .Item,
    counterKey,
  };
}

describe('quota counter repair (DynamoDB)', () => {
  it('sets a corrupted counter back to the open uploads, and adopts uploads from before the counters', async () => {
    const { store, put, counter, counterKey } = await fresh();
    const owner = 'owner-r';
    const open = [anUpload({ owner }), anUpload({ owner }), anUpload({ owner, profile: 'avatars' })];
    for (const u of open) await store.create(u, { maxOpenPerOwner: 10 });
    await store.create(anUpload({ owner, state: 'completed' }));
    // Corrupted: the owner-wide counter far too high, the profile's far too low.
    await put({ ...counterKey(owner, null), open: 42, changedAt: at(0) });
    await put({ ...counterKey(owner, 'avatars'), open: -3, changedAt: at(0) });
    // An upload written before the counters existed: open, in no counter, without the mark.
    const legacy = anUpload({ owner, profile: 'avatars' });
    await put(toItem(legacy));
    expect(await store.create(anUpload({ owner }), { maxOpenPerOwner: 10 })).toBe(false);

    const report = await store.repairOpenCounts(owner, at(3_600));
    expect(report).toEqual({
      owner,
      open: 4,
      corrected: expect.arrayContaining([
        { profile: null, was: 43, now: 4 },
        { profile: 'avatars', was: -2, now: 2 },
      ]),
      skipped: [],
    });
    expect(await store.countOpenByOwner(owner)).toBe(4);
    expect(await store.countOpenByOwner(owner, 'avatars')).toBe(2);
    // The adopted upload is counted like any other from now on: leaving open frees its slot.
    expect(await store.transition(legacy.id, { from: ['open'], to: 'aborted', at: at(3_700) })).not.toBeNull();
    expect((await counter(owner))?.open).toBe(3);
    expect((await counter(owner, 'avatars'))?.open).toBe(1);
    // A second repair finds nothing to do.
    expect(await store.repairOpenCounts(owner, at(7_200))).toEqual({ owner, open: 3, corrected: [], skipped: [] });
  });

  it('leaves a counter that moved within the last minute for a later repair', async () => {
    const { store, put, counter, counterKey } = await fresh();
    const owner = 'owner-busy';
    await store.create(anUpload({ owner }));
    await put({ ...counterKey(owner, null), open: 9, changedAt: at(100) });
    expect(await store.repairOpenCounts(owner, at(130))).toEqual({
      owner,
      open: 1,
      corrected: [],
      skipped: [{ profile: null }],
    });
    expect((await counter(owner))?.open).toBe(9);
    expect((await store.repairOpenCounts(owner, at(200))).corrected).toEqual([{ profile: null, was: 9, now: 1 }]);
  });

  it('never moves a counter for an upload from before the counters when it ends', async () => {
    const { store, put, counter } = await fresh();
    const owner = 'owner-old';
    await store.create(anUpload({ owner }));
    const legacy = anUpload({ owner });
    await put(toItem(legacy)); // as the previous version wrote it: no mark, in no counter
    expect(await store.transition(legacy.id, { from: ['open'], to: 'aborted', at: at(1) })).not.toBeNull();
    expect((await counter(owner))?.open).toBe(1);
  });
});
