import type { LimitsResponse } from '../shared/api/response-schemas.ts';
import { publicLimits } from '../shared/core/public-limits.ts';
import { json } from '../shared/http/api-event.ts';
import { route } from '../shared/http/route.ts';

/** GET /v1/limits — no token, no store: the limits this deployment holds creates to. */
export const handler = route({ name: 'limits', auth: 'none' }, async ({ deps }) =>
  json(200, publicLimits(deps.limits) satisfies LimitsResponse),
);
