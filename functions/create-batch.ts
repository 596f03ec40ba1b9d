import { createBatchBody, createUploadBody } from '../shared/api/schemas.ts';
import { itemError } from '../shared/core/batch-item.ts';
import { createBatch } from '../shared/core/create-batch.ts';
import { json } from '../shared/http/api-event.ts';
import { idempotencyKeyOf } from '../shared/http/idempotency-key.ts';
import { BATCH_MAX_JSON_BYTES } from '../shared/http/json-body.ts';
import { route } from '../shared/http/route.ts';
import { parseItem } from '../shared/http/validate.ts';
import { withCos } from '../shared/runtime/with-cos.ts';

/**
 * POST /v1/uploads/batch: 200, one result per item. With an Idempotency-Key item i is created under
 * `<key>#<i>`; the answer says `Idempotent-Replayed: true` when every item was a replay.
 */
export const handler = route(
  { name: 'create-batch', auth: 'user', body: createBatchBody, uses: withCos, maxBodyBytes: BATCH_MAX_JSON_BYTES },
  async ({ body, principal, deps, req }) => {
    const items = body.uploads.map((u) => parseItem(createUploadBody, u));
    const results = await createBatch(deps, principal.sub, items, idempotencyKeyOf(req));
    const replayed = results.every((r) => r.ok && r.value.replayed);
    const answers = results.map((r) => (r.ok ? (JSON.parse(r.value.response.body) as unknown) : itemError(r.error)));
    return json(200, { results: answers }, replayed ? { 'idempotent-replayed': 'true' } : {});
  },
);
