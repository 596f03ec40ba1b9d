import type { Logger } from '../logger.ts';
import type { Clock, EventStore, WebhookEvent, WebhookSender } from '../ports.ts';
import { eventBody } from './webhook-events.ts';
import { nextAttemptAfter, type WebhookSchedule } from './webhook-schedule.ts';

/** What a deliverer needs: the outbox, the signed POST, time, and the retry schedule. */
export interface WebhookDeps {
  events: EventStore;
  sender: WebhookSender;
  clock: Clock;
  log: Logger;
  schedule: WebhookSchedule;
  /**
   * How long one attempt may take (the sender's timeout) plus a margin: an attempt claims the event
   * for this long, so a deliverer that dies mid-attempt leaves it due again afterwards, never lost.
   */
  claimMs: number;
  /** Jitter source in [0, 1). Default Math.random. */
  random?: () => number;
}

export type DeliveryOutcome = 'delivered' | 'retrying' | 'failed' | 'skipped';

/**
 * One attempt at one event: pending → delivered on a 2xx, pending again (due after the backoff) on
 * anything else, failed once out of time. The attempt is claimed first — a conditional write on
 * the attempt count — so two deliverers (the stream's and the schedule's, or two processes) never
 * both send the same attempt; a receiver may still see an event twice (a 2xx whose write was
 * lost), which `webhook-id` lets it recognise.
 */
export async function deliverEvent(deps: WebhookDeps, event: WebhookEvent): Promise<DeliveryOutcome> {
  const now = deps.clock.now();
  if (event.state !== 'pending' || (event.nextAttemptAt !== null && event.nextAttemptAt > now.toISOString())) {
    return 'skipped';
  }
  const claimed = await deps.events.update(
    event.id,
    { state: 'pending', attempts: event.attempts },
    { attempts: event.attempts + 1, nextAttemptAt: new Date(now.getTime() + deps.claimMs).toISOString() },
  );
  if (!claimed) return 'skipped';
  const held = { state: 'pending' as const, attempts: claimed.attempts };
  const fields = { eventId: event.id, type: event.type, uploadId: event.uploadId, attempt: claimed.attempts };
  try {
    await deps.sender.send({ id: event.id, timestamp: now, body: eventBody(event) });
  } catch (e) {
    const lastError = e instanceof Error ? e.message : String(e);
    const next = nextAttemptAfter(
      claimed.attempts,
      event.createdAt,
      deps.clock.now(),
      deps.schedule,
      deps.random ?? Math.random,
    );
    await deps.events.update(
      event.id,
      held,
      next ? { nextAttemptAt: next, lastError } : { state: 'failed', nextAttemptAt: null, lastError },
    );
    deps.log.warn(next ? 'webhook attempt failed' : 'webhook failed: out of retries', { ...fields, lastError, next });
    return next ? 'retrying' : 'failed';
  }
  await deps.events.update(event.id, held, {
    state: 'delivered',
    nextAttemptAt: null,
    deliveredAt: deps.clock.now().toISOString(),
  });
  deps.log.info('webhook delivered', fields);
  return 'delivered';
}

/** Every event due now, one page of up to `limit`, `concurrency` attempts at a time. */
export async function deliverDue(
  deps: WebhookDeps,
  opts: { limit: number; concurrency: number },
): Promise<DeliveryOutcome[]> {
  const due = await deps.events.listDue(deps.clock.now().toISOString(), opts.limit);
  const outcomes: DeliveryOutcome[] = [];
  let next = 0;
  const lane = async () => {
    while (next < due.length) {
      const e = due[next++]!;
      try {
        outcomes.push(await deliverEvent(deps, e));
      } catch (err) {
        // The store failed around the attempt: the claim (or nothing) stands, so it is due again later.
        deps.log.error('webhook delivery errored', {
          eventId: e.id,
          error: err instanceof Error ? err.message : String(err),
        });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(opts.concurrency, due.length) }, lane));
  return outcomes;
}
