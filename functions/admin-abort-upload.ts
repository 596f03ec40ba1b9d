import { uploadIdParams } from '../shared/api/schemas.ts';
import { abortUpload } from '../shared/core/abort-upload.ts';
import { loadOwned } from '../shared/core/owned-upload.ts';
import { route } from '../shared/http/route.ts';
import { withCos } from '../shared/runtime/with-cos.ts';

/** DELETE /v1/admin/uploads/{id} — aborts any owner's upload (409 once completed). */
export const handler = route(
  { name: 'admin-abort-upload', auth: 'admin', params: uploadIdParams, uses: withCos },
  async ({ params, principal, deps }) => {
    const upload = await loadOwned(deps, principal, params.id);
    await abortUpload(deps, upload, { reason: `admin abort by ${principal.sub}` });
    return { statusCode: 204, headers: {}, body: '' };
  },
);
