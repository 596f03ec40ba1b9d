import { execFile } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '../../local/stack.ts';
import { apiClient } from '../helpers/api-client.ts';
import { startTestDynamoDb } from '../helpers/dynamodb-local.ts';
import { startTestStack, type TestStack } from '../helpers/test-stack.ts';
import { startWebhookReceiver, TEST_WEBHOOK_SECRET, type WebhookReceiver } from '../helpers/webhook-receiver.ts';

/**
 * A receiver down for longer than the max age: the event is retried with backoff until the
 * deadline, then `failed`; GET /v1/admin/events?state=failed lists it and POST .../redeliver sends
 * it once the receiver is back. On both stores (DynamoDB Local through its real stream).
 */
const MAX_AGE_MS = 1_500;
const RETRY_BASE_MS = 200;

interface AdminEvent {
  id: string;
  type: string;
  uploadId: string;
  state: string;
  attempts: number;
  nextAttemptAt: string | null;
  lastError: string | null;
  deliveredAt: string | null;
}

/** The admin CLI as an operator runs it: a separate Node 24 process talking HTTP to the local API. */
function cli(apiUrl: string, token: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      './node_modules/.bin/node',
      ['local/admin-cli.ts', ...args],
      { env: { PATH: process.env.PATH, UPLOADS_API_URL: apiUrl, UPLOADS_TOKEN: token }, timeout: 30_000 },
      (err, stdout, stderr) => resolve({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

let receiver: WebhookReceiver;
let db: { endpoint: string; stop(): Promise<void> } | undefined;

beforeAll(async () => {
  receiver = await startWebhookReceiver();
  db = await startTestDynamoDb();
}, 120_000);

afterAll(async () => {
  await receiver?.close();
  await db?.stop();
});

describe.each(['sqlite', 'dynamodb'] as const)('a receiver down past the max age (%s)', (store) => {
  let testStack: TestStack | undefined;
  let stack: LocalStack;
  let admin: ReturnType<typeof apiClient>;
  let adminToken: string;
  let alice: ReturnType<typeof apiClient>;

  beforeAll(async () => {
    testStack = await startTestStack(`webhooks-failed-${store}`, {
      env: {
        WEBHOOK_URL: receiver.url,
        WEBHOOK_SECRET: TEST_WEBHOOK_SECRET,
        ...(store === 'dynamodb'
          ? { UPLOADS_STORE: 'dynamodb', DYNAMODB_ENDPOINT: db!.endpoint, UPLOADS_TABLE: 'webhooks-failed' }
          : {}),
      },
      webhooks: { timeoutMs: 300, retryBaseMs: RETRY_BASE_MS, maxAgeMs: MAX_AGE_MS, pollMs: 25 },
      streamTrigger: { pollMs: 50 },
    });
    stack = testStack.stack;
    alice = apiClient(stack.apiUrl, await stack.token('alice'));
    adminToken = await stack.token('root', { admin: true });
    admin = apiClient(stack.apiUrl, adminToken);
  }, 60_000);

  afterAll(async () => {
    await testStack?.stop();
  });

  const failedList = async () =>
    (await admin.call<{ events: AdminEvent[] }>('GET', '/v1/admin/events?state=failed')).body.events;

  it('retries with backoff, gives up as failed, is listed, and is sent on redeliver', async () => {
    let down = true;
    receiver.behave(() => (down ? 503 : 204));
    const up = (await alice.create({ fileName: 'down.bin', size: 10 })).body.upload;
    expect((await alice.abort(up.id)).status).toBe(204);
    const id = `evt_${up.id}_aborted`;

    for (const until = Date.now() + 20_000; !(await failedList()).some((e) => e.id === id);) {
      if (Date.now() > until) throw new Error('the event never failed');
      await new Promise((r) => setTimeout(r, 50));
    }
    const failed = (await failedList()).find((e) => e.id === id)!;
    expect(failed).toMatchObject({
      type: 'upload.aborted',
      uploadId: up.id,
      nextAttemptAt: null,
      lastError: 'HTTP 503',
    });
    const tries = receiver.deliveries.filter((d) => d.id === id);
    expect(tries.length).toBe(failed.attempts);
    // 0, ~0.2, ~0.6, ~1.4 s, then the last at the deadline (1.5 s): doubling, never past the max age.
    expect(tries.length).toBeGreaterThanOrEqual(3);
    expect(tries.length).toBeLessThanOrEqual(6);
    const gaps = tries.slice(1).map((d, i) => Number(d.timestamp) - Number(tries[i]!.timestamp));
    expect(gaps.every((g) => g >= 0)).toBe(true);
    expect(Number(tries.at(-1)!.timestamp) - Number(tries[0]!.timestamp)).toBeLessThanOrEqual(
      Math.ceil(MAX_AGE_MS / 1000) + 1,
    );

    // Out of time, nothing more is sent.
    await new Promise((r) => setTimeout(r, 500));
    expect(receiver.deliveries.filter((d) => d.id === id).length).toBe(tries.length);

    // The admin CLI lists it too (a table, or JSON).
    const listed = await cli(stack.apiUrl, adminToken, ['events', '--state', 'failed', '--json']);
    expect(listed.code, listed.stderr).toBe(0);
    expect((JSON.parse(listed.stdout) as { events: AdminEvent[] }).events.map((e) => e.id)).toContain(id);
    const shown = await cli(stack.apiUrl, adminToken, ['events', '--state', 'failed']);
    expect(shown.stdout.split('\n')[0]).toMatch(/^ID\s+TYPE\s+STATE\s+ATTEMPTS/);
    expect(shown.stdout).toContain('HTTP 503');
    const unknown = await cli(stack.apiUrl, adminToken, ['redeliver', 'evt_nope']);
    expect(unknown.code).toBe(1);
    expect(JSON.parse(unknown.stderr)).toMatchObject({ error: { code: 'NOT_FOUND' } });

    down = false;
    if (store === 'sqlite') {
      // Through the CLI here, over HTTP on DynamoDB: the same route either way.
      const run = await cli(stack.apiUrl, adminToken, ['redeliver', id]);
      expect(run.code, run.stderr).toBe(0);
      expect(JSON.parse(run.stdout)).toEqual({ redelivered: id, state: 'pending' });
    } else {
      const redelivered = await admin.call<{ event: AdminEvent }>('POST', `/v1/admin/events/${id}/redeliver`);
      expect(redelivered.status).toBe(202);
      expect(redelivered.body.event).toMatchObject({ id, state: 'pending', attempts: failed.attempts });
    }
    await receiver.waitFor((ds) => ds.some((d) => d.id === id && d.answered === 204));
    for (const until = Date.now() + 10_000; ; await new Promise((r) => setTimeout(r, 50))) {
      const e = await stack.deps.store.events.get(id);
      if (e?.state === 'delivered') {
        expect(e.attempts).toBe(failed.attempts + 1);
        break;
      }
      if (Date.now() > until) throw new Error('the redelivered event was never delivered');
    }
    expect((await failedList()).some((e) => e.id === id)).toBe(false);
    expect(receiver.rejected).toEqual([]);
  }, 60_000);
});
