import { uploadIdParams } from '../shared/api/schemas.ts';
import { loadOwned } from '../shared/core/owned-upload.ts';
import { toPublicPart, toPublicUpload } from '../shared/core/upload-view.ts';
import { json } from '../shared/http/api-event.ts';
import { route } from '../shared/http/route.ts';
import { withStore } from '../shared/runtime/with-store.ts';

/** GET /v1/uploads/{id} — the upload and its recorded parts: all a client needs to resume. */
export const handler = route(
  { name: 'get-upload', auth: 'user', params: uploadIdParams, uses: withStore },
  async ({ params, principal, deps }) => {
    const upload = await loadOwned(deps, principal, params.id);
    const parts = await deps.store.listParts(upload.id);
    return json(200, { upload: toPublicUpload(upload, deps.clock.now()), parts: parts.map(toPublicPart) });
  },
);
