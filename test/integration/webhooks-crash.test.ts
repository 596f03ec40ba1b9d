import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureTable } from '../../shared/store/dynamodb-store.ts';
import { createDynamoDbStore } from '../../shared/store/dynamodb-store.ts';
import { startTestDynamoDb } from '../helpers/dynamodb-local.ts';
import { startTestStack } from '../helpers/test-stack.ts';
import { startWebhookReceiver, TEST_WEBHOOK_SECRET, type WebhookReceiver } from '../helpers/webhook-receiver.ts';

/**
 * Kill the process between the state change and the delivery: a child commits an abort and
 * SIGKILLs itself before any deliverer runs; a fresh stack on the same data then delivers the
 * abort — and nothing for the transition whose condition failed.
 */
const CRASHER = join(import.meta.dirname, '../fixtures/webhook-crasher.ts');

async function crash(...args: string[]): Promise<{ id: string; aborted: boolean; lost: boolean }> {
  const out = await promisify(execFile)(process.execPath, [CRASHER, ...args]).then(
    () => {
      throw new Error('the crasher exited normally');
    },
    (e: { signal?: string; stdout?: string }) => {
      if (e.signal !== 'SIGKILL') throw e;
      return e.stdout ?? '';
    },
  );
  return JSON.parse(out) as { id: string; aborted: boolean; lost: boolean };
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

const webhookEnv = () => ({ WEBHOOK_URL: receiver.url, WEBHOOK_SECRET: TEST_WEBHOOK_SECRET });
const ofUpload = (id: string) => receiver.deliveries.filter((d) => d.payload.data.upload.id === id);

describe('a crash between the state change and the delivery', () => {
  it('SQLite: the outbox row committed with the abort; a fresh stack delivers it', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'webhooks-crash-'));
    try {
      const child = await crash('sqlite', dataDir);
      expect(child).toMatchObject({ aborted: true, lost: true });
      const stack = await startTestStack('webhooks-crash', { dataDir, env: webhookEnv(), webhooks: { pollMs: 25 } });
      try {
        await receiver.waitFor(() => ofUpload(child.id).length > 0);
        await new Promise((r) => setTimeout(r, 300));
        expect(ofUpload(child.id).map((d) => [d.id, d.payload.type, d.payload.data.upload.state])).toEqual([
          [`evt_${child.id}_aborted`, 'upload.aborted', 'aborted'],
        ]);
      } finally {
        await stack.stop();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('DynamoDB Local: the stream holds the abort; a fresh stack reads it from the stream and delivers it', async () => {
    const table = 'webhooks-crash';
    const setup = createDynamoDbStore({ endpoint: db!.endpoint, table });
    await ensureTable(setup.client, table);
    await setup.close();
    const child = await crash('dynamodb', db!.endpoint, table);
    expect(child).toMatchObject({ aborted: true, lost: true });
    const stack = await startTestStack('webhooks-crash-ddb', {
      env: { ...webhookEnv(), UPLOADS_STORE: 'dynamodb', DYNAMODB_ENDPOINT: db!.endpoint, UPLOADS_TABLE: table },
      webhooks: { pollMs: 50 },
      streamTrigger: { pollMs: 50 },
    });
    try {
      await receiver.waitFor(() => ofUpload(child.id).length > 0, 30_000);
      await new Promise((r) => setTimeout(r, 500));
      expect(ofUpload(child.id).map((d) => [d.id, d.payload.type, d.payload.data.upload.state])).toEqual([
        [`evt_${child.id}_aborted`, 'upload.aborted', 'aborted'],
      ]);
      expect((await stack.stack.deps.store.events.get(`evt_${child.id}_aborted`))?.state).toBe('delivered');
    } finally {
      await stack.stop();
    }
  }, 60_000);
});
