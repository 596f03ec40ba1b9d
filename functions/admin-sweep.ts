import { sweepBody } from '../shared/api/admin-schemas.ts';
import { sweep } from '../shared/core/sweep.ts';
import { json } from '../shared/http/api-event.ts';
import { route } from '../shared/http/route.ts';
import { coreDeps } from '../shared/runtime/core-deps.ts';

/** POST /v1/admin/sweep — the scheduled sweep, on demand (dry run to preview). */
export const handler = route(
  { name: 'admin-sweep', auth: 'admin', body: sweepBody },
  async ({ body, principal, log }) => {
    const deps = await coreDeps();
    log.info('sweep requested', {
      by: principal.sub,
      dryRun: body?.dryRun ?? false,
      olderThanSeconds: body?.olderThanSeconds,
    });
    // The request's logger, so every action line carries this request's id.
    return json(200, await sweep({ ...deps, log }, body ?? {}));
  },
);
