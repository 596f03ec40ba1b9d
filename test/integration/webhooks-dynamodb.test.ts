import type { Context, DynamoDBRecord } from 'aws-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { handler as deliverDueEvents } from '../../functions/deliver-due-events.ts';
import { handler as deliverEvents } from '../../functions/deliver-events.ts';
import type { StreamHandler } from '../../local/dynamodb-stream-trigger.ts';
import type { LocalStack } from '../../local/stack.ts';
import { DEFAULT_EVENT_TYPES } from '../../shared/core/webhook-events.ts';
import { eventOfRecord } from '../../shared/store/dynamodb-stream-record.ts';
import { apiClient, readyMultipart, settled } from '../helpers/api-client.ts';
import { startTestDynamoDb } from '../helpers/dynamodb-local.ts';
import { startTestStack, type TestStack } from '../helpers/test-stack.ts';
import { startWebhookReceiver, TEST_WEBHOOK_SECRET, type WebhookReceiver } from '../helpers/webhook-receiver.ts';

/**
 * Webhooks on DynamoDB: nothing in the API process records or sends an event. The local stack's
 * event trigger reads DynamoDB Local's real stream and invokes the real deliver-events handler
 * with the records that serverless.yml's filters let through; the retries come from the real
 * deliver-due-events handler, invoked every 100 ms as its schedule would every minute (the stack
 * runs no poller of its own). The test wraps the stream handler only to watch it, to hand it every
 * batch twice (Lambda delivers at least once), and once to crash it after the EVENT item is written.
 */
let receiver: WebhookReceiver;
let db: { endpoint: string; stop(): Promise<void> } | undefined;
let testStack: TestStack | undefined;
let stack: LocalStack;
let alice: ReturnType<typeof apiClient>;

const seen: DynamoDBRecord[] = [];

/** What the schedule's runs of deliver-due-events have done so far. */
const scheduled = { runs: 0, delivered: 0, retrying: 0 };
let schedule: ReturnType<typeof setInterval> | undefined;
const scheduleContext = {
  awsRequestId: 'req-due',
  functionName: 'deliver-due-events',
  getRemainingTimeInMillis: () => 60_000,
} as Context;
let running = false;
async function runSchedule(): Promise<void> {
  if (running) return;
  running = true;
  try {
    const counts = await deliverDueEvents({ 'detail-type': 'Scheduled Event', source: 'aws.events' }, scheduleContext);
    scheduled.runs++;
    scheduled.delivered += counts.delivered;
    scheduled.retrying += counts.retrying;
  } finally {
    running = false;
  }
}
/** Uploads whose stream delivery dies right after writing the EVENT item (before any attempt). */
const crashAfterRecord = new Set<string>();

const watching: StreamHandler = async (event, context) => {
  seen.push(...event.Records);
  for (const r of event.Records) {
    const e = eventOfRecord(r, DEFAULT_EVENT_TYPES);
    if (e && crashAfterRecord.delete(e.uploadId)) {
      await stack.deps.store.events.record(e);
      throw new Error('deliver-events died after recording');
    }
  }
  // Every batch twice, side by side: the copies must collapse into one EVENT item and one delivery.
  const [first] = await Promise.all([deliverEvents(event, context), deliverEvents(event, context)]);
  return first;
};

beforeAll(async () => {
  receiver = await startWebhookReceiver();
  db = await startTestDynamoDb();
  testStack = await startTestStack('webhooks-dynamodb', {
    env: {
      UPLOADS_STORE: 'dynamodb',
      DYNAMODB_ENDPOINT: db.endpoint,
      UPLOADS_TABLE: 'webhooks-dynamodb',
      COMPLETE_WAIT_SECONDS: '1',
      WEBHOOK_URL: receiver.url,
      WEBHOOK_SECRET: TEST_WEBHOOK_SECRET,
    },
    webhooks: { timeoutMs: 400, retryBaseMs: 150, maxAgeMs: 60_000, poll: false, handler: watching },
    streamTrigger: { pollMs: 50, retryDelayMs: 100 },
  });
  stack = testStack.stack;
  schedule = setInterval(() => void runSchedule(), 100);
  alice = apiClient(stack.apiUrl, await stack.token('alice'));
}, 120_000);

afterAll(async () => {
  clearInterval(schedule);
  await testStack?.stop();
  await receiver?.close();
  await db?.stop();
});

beforeEach(() => receiver.behave(() => 204));

const ofUpload = (id: string) => receiver.deliveries.filter((d) => d.payload.data.upload.id === id);

describe('webhooks on DynamoDB (the stream is the outbox)', () => {
  it('a completion (itself driven by the stream) is delivered once, from real stream records', async () => {
    const { up } = await readyMultipart(alice, 7);
    await alice.complete(up.id);
    const done = (await settled(alice, up.id)).upload;
    expect(done.state).toBe('completed');
    await receiver.waitFor(() => ofUpload(up.id).length > 0, 30_000);
    await new Promise((r) => setTimeout(r, 300));
    // upload.created is not in WEBHOOK_EVENTS by default: the INSERT's record is read and ignored.
    expect(ofUpload(up.id).map((d) => d.payload.type)).toEqual(['upload.completed']);
    expect(ofUpload(up.id)[0]!.payload.data.upload).toEqual(done);
    // What the handler got were DynamoDB Local's own records (sequence numbers, NewImage).
    const records = seen.filter((r) => r.dynamodb?.NewImage?.pk?.S === `UPLOAD#${up.id}`);
    expect(records.every((r) => r.eventSource === 'aws:dynamodb' && r.dynamodb?.SequenceNumber)).toBe(true);
    expect(records.map((r) => r.dynamodb?.NewImage?.state?.S)).toContain('completed');
    expect(receiver.rejected).toEqual([]);
  }, 60_000);

  it('a receiver answering 500 twice gets the third attempt (from the schedule) with the same webhook-id', async () => {
    receiver.behave(({ attempt }) => (attempt <= 2 ? 500 : 204));
    const up = (await alice.create({ fileName: 'r.bin', size: 10 })).body.upload;
    await alice.abort(up.id);
    await receiver.waitFor(() => ofUpload(up.id).length >= 3, 30_000);
    const tries = ofUpload(up.id);
    // The third attempt is the first answered 2xx (a fourth only if that answer came too late: at least once).
    expect(tries.map((d) => d.answered).slice(0, 3)).toEqual([500, 500, 204]);
    expect(new Set(tries.map((d) => d.id))).toEqual(new Set([`evt_${up.id}_aborted`]));
    // The stream's handler made the first attempt; the retries can only have come from the schedule's.
    // (The run that sent the third attempt counts it once it has recorded the answer.)
    await expect.poll(() => scheduled.delivered, { timeout: 10_000 }).toBeGreaterThan(0);
    expect(scheduled.retrying).toBeGreaterThan(0);
  }, 60_000);

  it('deliver-events dying after it wrote the EVENT item: the retry finds the copy, the schedule sends it', async () => {
    const up = (await alice.create({ fileName: 'c.bin', size: 10 })).body.upload;
    crashAfterRecord.add(up.id);
    await alice.abort(up.id);
    await receiver.waitFor(() => ofUpload(up.id).length > 0, 30_000);
    await new Promise((r) => setTimeout(r, 300));
    expect(new Set(ofUpload(up.id).map((d) => d.id))).toEqual(new Set([`evt_${up.id}_aborted`]));
    expect(stack.eventTrigger!.stats.failed).toBeGreaterThan(0);
  }, 60_000);

  it('50 uploads finishing at once, every stream batch handled twice: each event delivered once', async () => {
    const before = receiver.deliveries.length;
    const ids = await Promise.all(
      Array.from(
        { length: 50 },
        async (_, i) => (await alice.create({ fileName: `z${i}.txt`, size: 0 })).body.upload.id,
      ),
    );
    await receiver.waitFor(() => ids.every((id) => ofUpload(id).length > 0), 60_000);
    await new Promise((r) => setTimeout(r, 500));
    const fresh = receiver.deliveries.slice(before);
    // One EVENT item per upload whatever the copies of its stream records; a receiver sees a copy
    // only after an attempt that failed from the deliverer's side (its 400 ms timeout, under load).
    expect(new Set(fresh.map((d) => d.id))).toEqual(new Set(ids.map((id) => `evt_${id}_completed`)));
    for (const [id, copies] of Map.groupBy(fresh, (d) => d.id)) {
      const e = await stack.deps.store.events.get(id);
      expect(e?.attempts, id).toBeGreaterThanOrEqual(copies.length);
      if (copies.length > 1) expect(e?.lastError, id).toMatch(/^no answer within/);
    }
  }, 90_000);
});
