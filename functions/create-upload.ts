import { createUploadBody } from '../shared/api/schemas.ts';
import { answerCreate } from '../shared/core/create-upload-answer.ts';
import { idempotencyKeyOf, storedResult } from '../shared/http/idempotency-key.ts';
import { route } from '../shared/http/route.ts';
import { withCos } from '../shared/runtime/with-cos.ts';

/** POST /v1/uploads: 201 with the new upload (and `urls` with `presign`), 200 for a dedupe hit. */
export const handler = route(
  { name: 'create-upload', auth: 'user', body: createUploadBody, uses: withCos },
  async ({ body, principal, deps, req }) => {
    const { response, replayed } = await answerCreate(deps, principal.sub, body, idempotencyKeyOf(req));
    return storedResult(response, replayed);
  },
);
