import type { ScheduledEvent } from 'aws-lambda';
import { deliverDue, type DeliveryOutcome } from '../shared/core/deliver-event.ts';
import { runtimeFor } from '../shared/runtime/current.ts';
import { invocation } from '../shared/runtime/invocation.ts';
import { webhookDeps } from '../shared/runtime/webhook-deps.ts';
import { withStore } from '../shared/runtime/with-store.ts';
import * as z from '../shared/zod.ts';

const scheduleInput = z.looseObject({});

/** Pages of due events per run stop when less than this is left (one attempt's timeout and a margin). */
const RESERVE_MS = 20_000;
const PAGE = 100;

/**
 * Every minute (serverless.yml): the retries. A stream record reaches deliver-events once, but a
 * receiver may be down for hours, so each failed attempt leaves the event pending with its next
 * attempt due; this sends the ones that are due, page after page while the run has time.
 */
export const handler = invocation<
  ScheduledEvent | Record<string, unknown>,
  Record<DeliveryOutcome, number>,
  object,
  typeof withStore
>({ name: 'deliver-due-events', input: scheduleInput, uses: withStore }, async ({ deps, log, context }) => {
  const runtime = runtimeFor(withStore);
  const counts: Record<DeliveryOutcome, number> = { delivered: 0, retrying: 0, failed: 0, skipped: 0 };
  const webhooks = webhookDeps(runtime.config, {
    events: deps.store.events,
    clock: deps.clock,
    log,
    tuning: runtime.webhookTuning,
  });
  if (!webhooks) return counts;
  for (;;) {
    const outcomes = await deliverDue(webhooks, { limit: PAGE, concurrency: 16 });
    for (const o of outcomes) counts[o]++;
    if (outcomes.length < PAGE || context.getRemainingTimeInMillis() < RESERVE_MS) break;
  }
  log.info('due events', counts);
  return counts;
});
