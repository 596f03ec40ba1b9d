import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '../../local/stack.ts';
import { apiClient } from '../helpers/api-client.ts';
import { startTestStack, type TestStack } from '../helpers/test-stack.ts';
import { startWebhookReceiver, TEST_WEBHOOK_SECRET, type WebhookReceiver } from '../helpers/webhook-receiver.ts';

/**
 * `upload.expired` end to end: an upload the sweep expires reaches a real receiver that verifies
 * it with `standardwebhooks`. Verification refuses timestamps minutes away from now, so the clock
 * cannot jump ahead to the expiry; instead the API's clock runs two minutes behind while the
 * upload is created (with the shortest TTL, 60 s, it is then already past its expiresAt) and is
 * back on time when the sweep runs and the event is sent.
 */
const clock = { offsetMs: 0, now: () => new Date(Date.now() + clock.offsetMs) };

let receiver: WebhookReceiver;
let testStack: TestStack | undefined;
let stack: LocalStack;

beforeAll(async () => {
  receiver = await startWebhookReceiver();
  testStack = await startTestStack('webhooks-expired', {
    clock,
    env: {
      UPLOAD_TTL_SECONDS: '60',
      WEBHOOK_URL: receiver.url,
      WEBHOOK_SECRET: TEST_WEBHOOK_SECRET,
    },
    webhooks: { timeoutMs: 400, retryBaseMs: 150, maxAgeMs: 60_000, pollMs: 25 },
  });
  stack = testStack.stack;
});

afterAll(async () => {
  await testStack?.stop();
  await receiver?.close();
});

describe('upload.expired through the sweep', () => {
  it('the sweep expires an upload past its TTL; the receiver gets upload.expired, verified, once', async () => {
    const alice = apiClient(stack.apiUrl, await stack.token('alice'));
    const admin = apiClient(stack.apiUrl, await stack.token('root', { admin: true }));
    clock.offsetMs = -120_000;
    const created = await alice.create({ fileName: 'late.bin', size: 5 * 1024 * 1024 });
    clock.offsetMs = 0;
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const id = created.body.upload.id;
    expect(Date.parse(created.body.upload.expiresAt)).toBeLessThan(Date.now());

    const swept = await admin.call('POST', '/v1/admin/sweep', {});
    expect(swept.status, JSON.stringify(swept.body)).toBe(200);
    expect(JSON.stringify(swept.body)).toContain(id);

    const ofUpload = () => receiver.deliveries.filter((d) => d.payload.data.upload.id === id);
    await receiver.waitFor(() => ofUpload().length > 0, 20_000);
    await new Promise((r) => setTimeout(r, 300));
    const [delivery, ...more] = ofUpload();
    expect(more).toEqual([]);
    expect(delivery!.id).toBe(`evt_${id}_expired`);
    expect(delivery!.payload.type).toBe('upload.expired');
    expect(delivery!.payload.data.upload).toMatchObject({ id, state: 'expired' });
    expect(receiver.rejected).toEqual([]);
    expect((await alice.get(id)).body.upload.state).toBe('expired');
  });
});
