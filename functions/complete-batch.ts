import { completeBatchBody } from '../shared/api/schemas.ts';
import { itemError } from '../shared/core/batch-item.ts';
import { completeBatch } from '../shared/core/complete-batch.ts';
import { toPublicUpload } from '../shared/core/upload-view.ts';
import { json } from '../shared/http/api-event.ts';
import { route } from '../shared/http/route.ts';
import { withCos } from '../shared/runtime/with-cos.ts';

/** POST /v1/uploads/batch-complete: 200 always; an item still merging shows its upload `completing`. */
export const handler = route(
  { name: 'complete-batch', auth: 'user', body: completeBatchBody, uses: withCos },
  async ({ body, principal, deps }) => {
    const results = await completeBatch(deps, principal, body.ids);
    const now = deps.clock.now();
    return json(200, {
      results: results.map((r) => (r.ok ? { upload: toPublicUpload(r.value.upload, now) } : itemError(r.error))),
    });
  },
);
