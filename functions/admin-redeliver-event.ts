import { eventIdParams } from '../shared/api/admin-schemas.ts';
import { redeliverEvent } from '../shared/core/admin-events.ts';
import { json } from '../shared/http/api-event.ts';
import { route } from '../shared/http/route.ts';
import { withStore } from '../shared/runtime/with-store.ts';

/** POST /v1/admin/events/{id}/redeliver — 202: queued again, due now; the deliverer sends it. */
export const handler = route(
  { name: 'admin-redeliver-event', auth: 'admin', params: eventIdParams, uses: withStore },
  async ({ params, deps }) => {
    return json(202, await redeliverEvent(deps, params.id));
  },
);
