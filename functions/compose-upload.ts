import { composeBody } from '../shared/api/schemas.ts';
import { composeUpload } from '../shared/core/compose-upload.ts';
import { toPublicUpload } from '../shared/core/upload-view.ts';
import { json } from '../shared/http/api-event.ts';
import { route } from '../shared/http/route.ts';
import { withCos } from '../shared/runtime/with-cos.ts';

/** COS copies of big sources take a while: looking again every few seconds is plenty. */
const RETRY_AFTER_SECONDS = 5;

/** POST /v1/uploads/compose */
export const handler = route(
  { name: 'compose-upload', auth: 'user', body: composeBody, uses: withCos },
  async ({ body, principal, deps }) => {
    const { upload, done } = await composeUpload(deps, principal.sub, body);
    const payload = { upload: toPublicUpload(upload, deps.clock.now()) };
    // Still copying or merging: the worker finishes it and GET shows when (docs/API.md, compose).
    return done ? json(200, payload) : json(202, payload, { 'retry-after': String(RETRY_AFTER_SECONDS) });
  },
);
