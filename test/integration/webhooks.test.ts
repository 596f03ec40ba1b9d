import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { LocalStack } from '../../local/stack.ts';
import { apiClient, bytesOf, putPart, readyMultipart, settled } from '../helpers/api-client.ts';
import { startTestStack, type TestStack } from '../helpers/test-stack.ts';
import {
  type Delivery,
  startWebhookReceiver,
  TEST_WEBHOOK_SECRET,
  type WebhookReceiver,
} from '../helpers/webhook-receiver.ts';

/**
 * Webhooks on SQLite, end to end: the API's transitions write the outbox, the stack's in-process
 * poller delivers it to a real receiver that verifies every request with `standardwebhooks`.
 * Timeouts and the retry schedule are shortened through the stack's tuning, not the code.
 */
const TIMEOUT_MS = 400;
const RETRY_BASE_MS = 150;

let receiver: WebhookReceiver;
let testStack: TestStack | undefined;
let stack: LocalStack;
let alice: ReturnType<typeof apiClient>;
let admin: ReturnType<typeof apiClient>;

beforeAll(async () => {
  receiver = await startWebhookReceiver();
  testStack = await startTestStack('webhooks', {
    env: {
      WEBHOOK_URL: receiver.url,
      WEBHOOK_SECRET: TEST_WEBHOOK_SECRET,
      WEBHOOK_EVENTS: 'upload.created,upload.completed,upload.aborted,upload.expired',
    },
    webhooks: { timeoutMs: TIMEOUT_MS, retryBaseMs: RETRY_BASE_MS, maxAgeMs: 60_000, pollMs: 25 },
  });
  stack = testStack.stack;
  alice = apiClient(stack.apiUrl, await stack.token('alice'));
  admin = apiClient(stack.apiUrl, await stack.token('root', { admin: true }));
});

afterAll(async () => {
  await testStack?.stop();
  await receiver?.close();
});

beforeEach(() => receiver.behave(() => 204));

/** The event once the deliverer has written `state` (the receiver sees a request before the deliverer records its answer). */
async function eventIn(id: string, state: string) {
  for (const until = Date.now() + 20_000; Date.now() < until; await new Promise((r) => setTimeout(r, 20))) {
    const e = await stack.deps.store.events.get(id);
    if (e?.state === state) return e;
  }
  throw new Error(`event ${id} never became ${state}`);
}

async function expectCopiesOnlyAfterFailedAttempts(ds: readonly Delivery[]) {
  const byId = Map.groupBy(ds, (d) => d.id);
  for (const [id, copies] of byId) {
    expect(new Set(copies.map((d) => JSON.stringify(d.payload))).size, id).toBe(1);
    if (copies.length === 1) continue;
    const e = await eventIn(id, 'delivered');
    expect(e.attempts, id).toBeGreaterThanOrEqual(copies.length);
    expect(e.lastError, id).toMatch(/^no answer within/);
  }
}

const ofUpload = (id: string) => receiver.deliveries.filter((d) => d.payload.data.upload.id === id);

describe('webhooks on SQLite', () => {
  it('a completed upload is signed, verified and described by its public upload object', async () => {
    const { up } = await readyMultipart(alice, 1);
    expect((await alice.complete(up.id)).status).toBeLessThan(300);
    const done = (await settled(alice, up.id)).upload;
    expect(done.state).toBe('completed');
    await receiver.waitFor(() => ofUpload(up.id).some((d) => d.payload.type === 'upload.completed'));
    // Events go out side by side, so not necessarily in order (docs/webhooks.md).
    const types = ofUpload(up.id).map((d) => d.payload.type);
    expect(types.sort()).toEqual(['upload.completed', 'upload.created']);
    const completed = ofUpload(up.id).find((d) => d.payload.type === 'upload.completed')!;
    expect(completed.payload.data.upload).toEqual(done);
    expect(completed.payload.data.upload).not.toHaveProperty('owner');
    expect(completed.id).toBe(`evt_${up.id}_completed`);
    expect(completed.signature).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    expect(Math.abs(Number(completed.timestamp) - Date.now() / 1000)).toBeLessThan(60);
    expect(receiver.rejected).toEqual([]);
  });

  it('an abort is upload.aborted; a 0-byte file is created and completed at once', async () => {
    const open = (await alice.create({ fileName: 'a.bin', size: 10 })).body.upload;
    expect((await alice.abort(open.id)).status).toBe(204);
    const empty = (await alice.create({ fileName: 'e.txt', size: 0 })).body.upload;
    await receiver.waitFor(
      () => ofUpload(open.id).some((d) => d.payload.type === 'upload.aborted') && ofUpload(empty.id).length > 0,
    );
    expect(ofUpload(open.id).find((d) => d.payload.type === 'upload.aborted')!.payload.data.upload.state).toBe(
      'aborted',
    );
    // Born completed: the create itself is the completion (no `open` ever existed).
    expect(ofUpload(empty.id).map((d) => d.payload.type)).toEqual(['upload.completed']);
  });

  it('a receiver answering 500 twice gets the third attempt with the same webhook-id', async () => {
    receiver.behave(({ type, attempt }) => (type === 'upload.aborted' && attempt <= 2 ? 500 : 204));
    const up = (await alice.create({ fileName: 'r.bin', size: 10 })).body.upload;
    await alice.abort(up.id);
    await receiver.waitFor(() => ofUpload(up.id).filter((d) => d.payload.type === 'upload.aborted').length >= 3);
    const tries = ofUpload(up.id).filter((d) => d.payload.type === 'upload.aborted');
    // The third attempt is the first answered 2xx (a fourth only if that answer came too late: at least once).
    expect(tries.map((d) => d.answered).slice(0, 3)).toEqual([500, 500, 204]);
    expect(new Set(tries.map((d) => d.id))).toEqual(new Set([`evt_${up.id}_aborted`]));
    // The body is the same bytes every time; only the attempt's timestamp (and so the signature) moves.
    expect(new Set(tries.map((d) => JSON.stringify(d.payload))).size).toBe(1);
    await eventIn(`evt_${up.id}_aborted`, 'delivered');
    const listed = await admin.call<{ events: { id: string; state: string; attempts: number; lastError: string }[] }>(
      'GET',
      '/v1/admin/events?state=delivered&limit=1000',
    );
    const event = listed.body.events.find((e) => e.id === `evt_${up.id}_aborted`)!;
    expect(event.state).toBe('delivered');
    expect(event.attempts).toBeGreaterThanOrEqual(3);
    expect(event.lastError).toMatch(/^(HTTP 500|no answer within)/);
  });

  it('a receiver that hangs is timed out and the event retried', async () => {
    receiver.behave(({ type, attempt }) => (type === 'upload.aborted' && attempt === 1 ? 'hang' : 204));
    const up = (await alice.create({ fileName: 'h.bin', size: 10 })).body.upload;
    await alice.abort(up.id);
    await receiver.waitFor(() => ofUpload(up.id).filter((d) => d.payload.type === 'upload.aborted').length >= 2);
    const tries = ofUpload(up.id).filter((d) => d.payload.type === 'upload.aborted');
    expect(tries.map((d) => d.answered).slice(0, 2)).toEqual(['hang', 204]);
    const event = await eventIn(`evt_${up.id}_aborted`, 'delivered');
    expect(event.lastError).toBe(`no answer within ${TIMEOUT_MS} ms`);
  });

  it('a transition whose condition failed records no event', async () => {
    const up = (await alice.create({ fileName: 'x.bin', size: 10 })).body.upload;
    await alice.abort(up.id);
    // Aborting again changes nothing (204, already aborted): no second event, no other type.
    await alice.abort(up.id);
    const lost = await stack.deps.store.transition(up.id, {
      from: ['open'],
      to: 'completed',
      at: new Date().toISOString(),
    });
    expect(lost).toBeNull();
    expect(await stack.deps.store.events.get(`evt_${up.id}_completed`)).toBeNull();
    await receiver.waitFor(() => ofUpload(up.id).some((d) => d.payload.type === 'upload.aborted'));
    await receiver.waitFor(() => ofUpload(up.id).some((d) => d.payload.type === 'upload.created'));
    expect(
      ofUpload(up.id)
        .map((d) => d.payload.type)
        .sort(),
    ).toEqual(['upload.aborted', 'upload.created']);
  });

  it('admin listing: a bad cursor or state is a 400; the listing pages newest first', async () => {
    for (const q of ['cursor=not-a-cursor', 'state=sent', 'limit=0', 'limit=1001']) {
      const r = await admin.call('GET', `/v1/admin/events?${q}`);
      expect(r.status, q).toBe(400);
      expect(r.body).toMatchObject({ error: { code: 'VALIDATION_FAILED' } });
    }
    expect((await alice.call('GET', '/v1/admin/events')).status).toBe(403);
    const all: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { body: { events: { id: string; createdAt: string }[]; nextCursor: string | null } } =
        await admin.call('GET', `/v1/admin/events?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      all.push(...page.body.events.map((e) => e.id));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(new Set(all).size).toBe(all.length);
    expect(all.length).toBeGreaterThanOrEqual(8);
    expect((await admin.call('POST', '/v1/admin/events/evt_nope/redeliver')).status).toBe(404);
    expect((await admin.call('POST', '/v1/admin/events/not-an-event/redeliver')).status).toBe(400);
  });

  it('200 uploads completing at once (create, PUT, complete): every event delivered, none twice', async () => {
    const before = receiver.deliveries.length;
    const ids = await Promise.all(
      Array.from({ length: 200 }, async (_, i) => {
        const file = bytesOf(64, i + 1);
        const up = (await alice.create({ fileName: `c${i}.bin`, size: file.length })).body.upload;
        const url = (await alice.partUrls(up.id, { partNumbers: [1] })).body.urls[0]!;
        expect((await putPart(url, file)).status).toBe(200);
        expect((await alice.complete(up.id)).status).toBeLessThan(300);
        return up.id;
      }),
    );
    await receiver.waitFor(
      () => ids.every((id) => ofUpload(id).some((d) => d.payload.type === 'upload.completed')),
      120_000,
    );
    const fresh = receiver.deliveries.slice(before).filter((d) => d.payload.type === 'upload.completed');
    // De-duplicated by webhook-id, as a receiver does: exactly one event per upload.
    expect(new Set(fresh.map((d) => d.id))).toEqual(new Set(ids.map((id) => `evt_${id}_completed`)));
    expect(fresh.filter((d) => d.payload.data.upload.state !== 'completed' || !d.payload.data.upload.etag)).toEqual([]);
    // At least once: a copy arrives only when an attempt failed from the deliverer's side (this
    // stack's 400 ms timeout, under the load of 200 uploads), and every copy is the same event.
    await expectCopiesOnlyAfterFailedAttempts(fresh);
    expect(receiver.rejected).toEqual([]);
  }, 180_000);
});
