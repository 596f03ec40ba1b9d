import { createBatchBody, createUploadBody } from '../shared/api/schemas.ts';
import { itemError } from '../shared/core/batch-item.ts';
import { createBatch } from '../shared/core/create-batch.ts';
import { toSessionView } from '../shared/core/create-session.ts';
import { json } from '../shared/http/api-event.ts';
import { BATCH_MAX_JSON_BYTES } from '../shared/http/json-body.ts';
import { route } from '../shared/http/route.ts';
import { parseItem } from '../shared/http/validate.ts';
import { withCos } from '../shared/runtime/with-cos.ts';

/**
 * POST /v1/uploads/batch. Idempotency-Key: the whole batch's key becomes item i's `batchItemKey(key, i)`
 * (shared/core/batch-item.ts) once create takes a key.
 */
export const handler = route(
  { name: 'create-batch', auth: 'user', body: createBatchBody, uses: withCos, maxBodyBytes: BATCH_MAX_JSON_BYTES },
  async ({ body, principal, deps }) => {
    const items = body.uploads.map((u) => parseItem(createUploadBody, u));
    const results = await createBatch(deps, principal.sub, items);
    const now = deps.clock.now();
    return json(200, { results: results.map((r) => (r.ok ? toSessionView(r.value, now) : itemError(r.error))) });
  },
);
