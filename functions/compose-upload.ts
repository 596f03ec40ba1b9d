import { composeBody } from '../shared/api/schemas.ts';
import { answerCompose } from '../shared/core/compose-answer.ts';
import { idempotencyKeyOf, storedResult } from '../shared/http/idempotency-key.ts';
import { route } from '../shared/http/route.ts';
import { withCos } from '../shared/runtime/with-cos.ts';

/** COS copies of big sources take a while: looking again every few seconds is plenty. */
const RETRY_AFTER_SECONDS = 5;

/** POST /v1/uploads/compose: 200 once assembled, 202 while the worker copies and merges. */
export const handler = route(
  { name: 'compose-upload', auth: 'user', body: composeBody, uses: withCos },
  async ({ body, principal, deps, req }) => {
    const { response, replayed } = await answerCompose(deps, principal.sub, body, idempotencyKeyOf(req));
    const result = storedResult(response, replayed);
    // Still copying or merging: the worker finishes it and GET shows when (docs/API.md, compose).
    if (response.status === 202) result.headers = { ...result.headers, 'retry-after': String(RETRY_AFTER_SECONDS) };
    return result;
  },
);
