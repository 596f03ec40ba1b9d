import { quotaRepairBody } from '../shared/api/admin-schemas.ts';
import { json } from '../shared/http/api-event.ts';
import { route } from '../shared/http/route.ts';
import { withStore } from '../shared/runtime/with-store.ts';

/** POST /v1/admin/quota-repair — recompute one owner's quota counters from its uploads. */
export const handler = route(
  { name: 'admin-quota-repair', auth: 'admin', body: quotaRepairBody, uses: withStore },
  async ({ body, principal, log, deps }) => {
    const report = await deps.store.repairOpenCounts(body.owner, deps.clock.now().toISOString());
    log.info('quota repaired', {
      by: principal.sub,
      corrected: report.corrected.length,
      skipped: report.skipped.length,
    });
    return json(200, report);
  },
);
