import { uploadIdParams } from '../shared/api/schemas.ts';
import { abortUpload } from '../shared/core/abort-upload.ts';
import { loadOwned } from '../shared/core/owned-upload.ts';
import { route } from '../shared/http/route.ts';
import { withCos } from '../shared/runtime/with-cos.ts';

/** DELETE /v1/uploads/{id} */
export const handler = route(
  { name: 'abort-upload', auth: 'user', params: uploadIdParams, uses: withCos },
  async ({ params, principal, deps }) => {
    const upload = await loadOwned(deps, principal, params.id);
    await abortUpload(deps, upload, { reason: 'owner abort' });
    return { statusCode: 204, headers: {}, body: '' };
  },
);
