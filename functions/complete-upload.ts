import { completeBody, uploadIdParams } from '../shared/api/schemas.ts';
import { completeUpload } from '../shared/core/complete-upload.ts';
import { loadForWriting } from '../shared/core/owned-upload.ts';
import { toPublicUpload } from '../shared/core/upload-view.ts';
import { json } from '../shared/http/api-event.ts';
import { COMPLETE_MAX_JSON_BYTES } from '../shared/http/json-body.ts';
import { route } from '../shared/http/route.ts';
import { withCos } from '../shared/runtime/with-cos.ts';

/** A merge that outlasted COMPLETE_WAIT_SECONDS is a big one: looking again every few seconds is plenty. */
const RETRY_AFTER_SECONDS = 5;

/** POST /v1/uploads/{id}/complete */
export const handler = route(
  {
    name: 'complete-upload',
    auth: 'user',
    params: uploadIdParams,
    body: completeBody,
    uses: withCos,
    // 10,000 parts with sizes and CRCs, as completeBody allows, do not fit the default 1 MiB.
    maxBodyBytes: COMPLETE_MAX_JSON_BYTES,
  },
  async ({ params, body, principal, deps }) => {
    const upload = await loadForWriting(deps, principal, params.id);
    const { upload: result, done } = await completeUpload(deps, upload, body?.parts ?? []);
    const payload = { upload: toPublicUpload(result, deps.clock.now()) };
    // Still merging: the worker finishes it and GET shows when (docs/API.md, complete).
    return done ? json(200, payload) : json(202, payload, { 'retry-after': String(RETRY_AFTER_SECONDS) });
  },
);
