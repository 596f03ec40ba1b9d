import { createUploadBody } from '../shared/api/schemas.ts';
import { createUpload } from '../shared/core/create-upload.ts';
import { toPublicUpload } from '../shared/core/upload-view.ts';
import { json } from '../shared/http/api-event.ts';
import { route } from '../shared/http/route.ts';
import { withCos } from '../shared/runtime/with-cos.ts';

/** POST /v1/uploads */
export const handler = route(
  { name: 'create-upload', auth: 'user', body: createUploadBody, uses: withCos },
  async ({ body, principal, deps }) => {
    const upload = await createUpload(deps, principal.sub, body);
    return json(201, { upload: toPublicUpload(upload, deps.clock.now()) });
  },
);
