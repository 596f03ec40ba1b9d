import { adminEventsQuery } from '../shared/api/admin-schemas.ts';
import { listEvents } from '../shared/core/admin-events.ts';
import { json } from '../shared/http/api-event.ts';
import { route } from '../shared/http/route.ts';
import { withStore } from '../shared/runtime/with-store.ts';

/** GET /v1/admin/events — the webhook outbox, newest first, by delivery state. */
export const handler = route(
  { name: 'admin-list-events', auth: 'admin', query: adminEventsQuery, uses: withStore },
  async ({ query, deps }) => {
    return json(200, await listEvents(deps, query));
  },
);
