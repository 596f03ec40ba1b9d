import { downloadUrlBody, uploadIdParams } from '../shared/api/schemas.ts';
import type { DownloadUrlResponse } from '../shared/api/response-schemas.ts';
import { downloadUrl } from '../shared/core/download-url.ts';
import { loadOwned } from '../shared/core/owned-upload.ts';
import { json } from '../shared/http/api-event.ts';
import { route } from '../shared/http/route.ts';
import { withCos } from '../shared/runtime/with-cos.ts';

/** POST /v1/uploads/{id}/download-url — a presigned GET for a completed upload; owner or admin. */
export const handler = route(
  { name: 'download-url', auth: 'user', params: uploadIdParams, body: downloadUrlBody, uses: withCos },
  async ({ params, body, principal, deps }) => {
    const upload = await loadOwned(deps, principal, params.id);
    return json(200, downloadUrl(deps, upload, body ?? {}) satisfies DownloadUrlResponse);
  },
);
