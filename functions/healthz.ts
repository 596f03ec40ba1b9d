import { json } from '../shared/http/api-event.ts';
import { route } from '../shared/http/route.ts';

/** GET /healthz — liveness only: no dependency is called, so it stays cheap for load balancers. */
export const handler = route({ name: 'healthz', auth: 'none' }, async () => json(200, { ok: true }));
