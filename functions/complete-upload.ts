import { completeBody, uploadIdParams } from '../shared/api/schemas.ts';
import { completeUpload } from '../shared/core/complete-upload.ts';
import { loadOwned } from '../shared/core/owned-upload.ts';
import { toPublicUpload } from '../shared/core/upload-view.ts';
import { json } from '../shared/http/api-event.ts';
import { route } from '../shared/http/route.ts';
import { coreDeps } from '../shared/runtime/core-deps.ts';

/** POST /v1/uploads/{id}/complete */
export const handler = route(
  { name: 'complete-upload', auth: 'user', params: uploadIdParams, body: completeBody },
  async ({ params, body, principal }) => {
    const deps = await coreDeps();
    const upload = await loadOwned(deps, principal, params.id);
    const done = await completeUpload(deps, upload, body?.parts ?? []);
    return json(200, { upload: toPublicUpload(done, deps.clock.now()) });
  },
);
