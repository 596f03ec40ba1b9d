import type { AdminEvent } from '../api/admin-response-schemas.ts';
import { notFound } from '../errors.ts';
import type { Clock, EventState, EventStore, WebhookEvent } from '../ports.ts';

/** The admin view of an event: its delivery, not its body (the upload is at /v1/admin/uploads). */
export const toAdminEvent = (e: WebhookEvent): AdminEvent => ({
  id: e.id,
  type: e.type,
  uploadId: e.uploadId,
  state: e.state,
  attempts: e.attempts,
  nextAttemptAt: e.nextAttemptAt,
  lastError: e.lastError,
  createdAt: e.createdAt,
  deliveredAt: e.deliveredAt,
});

export async function listEvents(
  deps: { store: { events: EventStore } },
  filter: { state?: EventState; limit: number; cursor?: string },
) {
  // A tampered cursor is the adapter's VALIDATION_FAILED at path `cursor`, thrown before any read.
  const page = await deps.store.events.list(filter);
  return { events: page.items.map(toAdminEvent), nextCursor: page.nextCursor };
}

/**
 * Puts an event (in any state) back in the queue, due now. The attempt count is kept — it is the
 * event's history — and so is its retry window, which runs from the event: a redelivery that fails
 * after the window is `failed` again at once, one attempt per redelivery. The write is conditional
 * on what was read; losing it to a deliverer's write means reading again.
 */
export async function redeliverEvent(deps: { store: { events: EventStore }; clock: Clock }, id: string) {
  for (let i = 0; i < 5; i++) {
    const e = await deps.store.events.get(id);
    if (!e) throw notFound('event not found');
    const updated = await deps.store.events.update(
      id,
      { state: e.state, attempts: e.attempts },
      { state: 'pending', nextAttemptAt: deps.clock.now().toISOString() },
    );
    if (updated) return { event: toAdminEvent(updated) };
  }
  throw new Error(`event ${id} kept changing while it was redelivered`);
}
