import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '../../local/stack.ts';
import { apiClient, bytesOf, expectError, putPart } from '../helpers/api-client.ts';
import { startTestDynamoDb } from '../helpers/dynamodb-local.ts';
import { startTestStack, type TestStack } from '../helpers/test-stack.ts';

/**
 * The atomic quota and Idempotency-Key through the real create path (HTTP, the core, COS Initiate
 * on the emulator), on both stores.
 */
const MiB = 1024 * 1024;
const RACERS = 200;
const QUOTA = 3;

describe.each(['sqlite', 'dynamodb'] as const)('create on %s', (kind) => {
  let testStack: TestStack | undefined;
  let stack: LocalStack;
  let db: { endpoint: string; stop(): Promise<void> } | undefined;
  let offsetMs = 0;

  beforeAll(async () => {
    const env: Record<string, string> = { MAX_OPEN_UPLOADS_PER_OWNER: String(QUOTA) };
    if (kind === 'dynamodb') {
      db = await startTestDynamoDb();
      Object.assign(env, { UPLOADS_STORE: 'dynamodb', DYNAMODB_ENDPOINT: db.endpoint, UPLOADS_TABLE: 'idempotency' });
    }
    testStack = await startTestStack(`idempotency-${kind}`, {
      env,
      clock: { now: () => new Date(Date.now() + offsetMs) },
    });
    stack = testStack.stack;
  }, 120_000);

  afterAll(async () => {
    await testStack?.stop();
    await db?.stop();
  });

  /** A create over raw fetch: the exact status, headers and body text. */
  async function post(token: string, body: unknown, key?: string) {
    const res = await fetch(`${stack.apiUrl}/v1/uploads`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
        ...(key === undefined ? {} : { 'idempotency-key': key }),
      },
      body: JSON.stringify(body),
    });
    return { status: res.status, text: await res.text(), replayed: res.headers.get('idempotent-replayed') };
  }

  const openOf = async (owner: string) =>
    (await stack.deps.store.list({ owner, limit: 1000 })).items.filter((u) => u.state === 'open');

  it.each([
    ['single', 10],
    ['multipart', 3 * MiB],
  ] as const)(
    `${RACERS} racing %s creates with ${QUOTA} slots open exactly ${QUOTA}; completing one frees one`,
    async (strategy, size) => {
      const owner = `racer-${strategy}`;
      const token = await stack.token(owner);
      const api = apiClient(stack.apiUrl, token);
      const answers = await Promise.all(
        Array.from({ length: RACERS }, (_, i) => api.create({ fileName: `r${i}.bin`, size })),
      );
      const won = answers.filter((a) => a.status === 201);
      expect(won).toHaveLength(QUOTA);
      for (const a of answers.filter((x) => x.status !== 201)) expectError(a, 429, 'TOO_MANY_OPEN_UPLOADS');
      expect(won.every((a) => a.body.upload.strategy === strategy)).toBe(true);
      expect(await openOf(owner)).toHaveLength(QUOTA);
      expect(await stack.deps.store.countOpenByOwner(owner)).toBe(QUOTA);

      // Complete one: it leaves `open` and its slot is free for exactly one of the next racers.
      const first = won[0]!.body.upload;
      const file = bytesOf(size, 7);
      const numbers = Array.from({ length: first.partCount! }, (_, i) => i + 1);
      const urls = (await api.partUrls(first.id, { partNumbers: numbers })).body.urls;
      const parts = [];
      for (const u of urls) {
        const put = await putPart(u, file.subarray((u.partNumber - 1) * MiB, u.partNumber * MiB));
        parts.push({ partNumber: u.partNumber, etag: put.etag! });
      }
      expect((await api.record(first.id, parts)).status).toBe(200);
      expect([200, 202]).toContain((await api.complete(first.id)).status);
      const next = await Promise.all(Array.from({ length: 30 }, (_, i) => api.create({ fileName: `n${i}.bin`, size })));
      expect(next.filter((a) => a.status === 201)).toHaveLength(1);
      expect(await openOf(owner)).toHaveLength(QUOTA);
    },
    120_000,
  );

  it('the same key twice: one upload, the same status and body bytes, marked Idempotent-Replayed', async () => {
    const token = await stack.token('idem-a');
    const body = { fileName: 'photo.jpg', size: 12_345, contentType: 'image/jpeg', metadata: { album: 'x' } };
    const first = await post(token, body, 'create-photo-1');
    expect(first.status).toBe(201);
    expect(first.replayed).toBeNull();
    // The same body with its keys in another order is the same request.
    const again = await post(
      token,
      { metadata: { album: 'x' }, contentType: 'image/jpeg', size: 12_345, fileName: 'photo.jpg' },
      'create-photo-1',
    );
    expect(again.status).toBe(201);
    expect(again.text).toBe(first.text);
    expect(again.replayed).toBe('true');
    expect(await openOf('idem-a')).toHaveLength(1);

    expect(JSON.parse((await post(token, { ...body, size: 999 }, 'create-photo-1')).text)).toMatchObject({
      error: { code: 'IDEMPOTENCY_KEY_REUSED' },
    });
    expect((await post(token, { ...body, size: 999 }, 'create-photo-1')).status).toBe(422);
    // Another owner's key of the same name is its own.
    const other = await post(await stack.token('idem-b'), body, 'create-photo-1');
    expect(other.status).toBe(201);
    expect(other.replayed).toBeNull();
    expect(await openOf('idem-a')).toHaveLength(1);
  });

  it('20 concurrent requests with one key make one upload; the rest replay it or get 409 IN_USE', async () => {
    const token = await stack.token('idem-c');
    const body = { fileName: 'v.mp4', size: 3 * MiB };
    const answers = await Promise.all(Array.from({ length: 20 }, () => post(token, body, 'burst')));
    const created = answers.filter((a) => a.status === 201);
    expect(created.filter((a) => a.replayed === null)).toHaveLength(1);
    for (const a of created) expect(a.text).toBe(created[0]!.text);
    for (const a of answers.filter((x) => x.status !== 201)) {
      expect(a.status).toBe(409);
      expect(JSON.parse(a.text)).toMatchObject({ error: { code: 'IDEMPOTENCY_KEY_IN_USE' } });
    }
    expect(await openOf('idem-c')).toHaveLength(1);
    // Once the first has answered, everyone gets the replay.
    expect((await post(token, body, 'burst')).replayed).toBe('true');
  });

  it('a failed create frees its key; 24 h later the key is free again', async () => {
    const token = await stack.token('idem-d');
    const api = apiClient(stack.apiUrl, token);
    for (let i = 0; i < QUOTA; i++) expect((await api.create({ fileName: `q${i}`, size: 1 })).status).toBe(201);
    const body = { fileName: 'late.bin', size: 5 };
    expect((await post(token, body, 'after-quota')).status).toBe(429);
    const [q0] = await openOf('idem-d');
    expect((await api.abort(q0!.id)).status).toBe(204);
    const created = await post(token, body, 'after-quota');
    expect(created.status).toBe(201);
    expect(created.replayed).toBeNull();
    expect((await post(token, body, 'after-quota')).replayed).toBe('true');

    const [q1] = await openOf('idem-d');
    expect((await api.abort(q1!.id)).status).toBe(204);
    offsetMs = 24 * 3600_000 + 1_000;
    try {
      const fresh = await post(token, body, 'after-quota');
      expect(fresh.status).toBe(201);
      expect(fresh.replayed).toBeNull();
      expect(JSON.parse(fresh.text).upload.id).not.toBe(JSON.parse(created.text).upload.id);
    } finally {
      offsetMs = 0;
    }
  });

  it('a malformed Idempotency-Key is a 400 before anything is created', async () => {
    const token = await stack.token('idem-e');
    for (const key of ['', 'x'.repeat(256), 'tab\there', 'ünï']) {
      const r = await post(token, { fileName: 'a', size: 1 }, key);
      expect(r.status, key).toBe(400);
      expect(JSON.parse(r.text)).toMatchObject({
        error: { code: 'VALIDATION_FAILED', details: { issues: [{ path: ['headers', 'idempotency-key'] }] } },
      });
    }
    expect((await post(token, { fileName: 'a', size: 1 }, 'x'.repeat(255))).status).toBe(201);
    expect(await openOf('idem-e')).toHaveLength(1);
  });

  it.runIf(kind === 'dynamodb')('POST /v1/admin/quota-repair sets a corrupted counter back to the truth', async () => {
    const token = await stack.token('repaired');
    const api = apiClient(stack.apiUrl, token);
    expect((await api.create({ fileName: 'a', size: 1 })).status).toBe(201);
    const client = (stack.deps.store as unknown as { client: import('@aws-sdk/client-dynamodb').DynamoDBClient })
      .client;
    const { DynamoDBDocumentClient, PutCommand } = await import('@aws-sdk/lib-dynamodb');
    await DynamoDBDocumentClient.from(client).send(
      new PutCommand({
        TableName: 'idempotency',
        Item: { pk: 'QUOTA#repaired', sk: 'ALL', open: QUOTA, changedAt: '2020-01-01T00:00:00.000Z' },
      }),
    );
    expectError(await api.create({ fileName: 'b', size: 1 }), 429, 'TOO_MANY_OPEN_UPLOADS');
    const admin = apiClient(stack.apiUrl, await stack.token('root', { admin: true }));
    const r = await admin.call('POST', '/v1/admin/quota-repair', { owner: 'repaired' });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({
      owner: 'repaired',
      open: 1,
      corrected: [{ profile: null, was: QUOTA, now: 1 }],
      skipped: [],
    });
    expect((await api.create({ fileName: 'b', size: 1 })).status).toBe(201);
  });
});
