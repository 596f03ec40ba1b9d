import { sweepBody } from '../shared/api/admin-schemas.ts';
import { sweep } from '../shared/core/sweep.ts';
import { json } from '../shared/http/api-event.ts';
import { route } from '../shared/http/route.ts';
import { withCos } from '../shared/runtime/with-cos.ts';

/** POST /v1/admin/sweep — the scheduled sweep, on demand (dry run to preview). */
export const handler = route(
  { name: 'admin-sweep', auth: 'admin', body: sweepBody, uses: withCos },
  async ({ body, principal, log, deps }) => {
    log.info('sweep requested', {
      by: principal.sub,
      dryRun: body?.dryRun ?? false,
      olderThanSeconds: body?.olderThanSeconds,
    });
    return json(200, await sweep(deps, body ?? {}));
  },
);
