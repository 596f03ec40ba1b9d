import { partUrlsBody, uploadIdParams } from '../shared/api/schemas.ts';
import { loadForWriting } from '../shared/core/owned-upload.ts';
import { partUrls } from '../shared/core/part-urls.ts';
import { json } from '../shared/http/api-event.ts';
import { route } from '../shared/http/route.ts';
import { withCos } from '../shared/runtime/with-cos.ts';

/** POST /v1/uploads/{id}/part-urls */
export const handler = route(
  { name: 'part-urls', auth: 'user', params: uploadIdParams, body: partUrlsBody, uses: withCos },
  async ({ params, body, principal, deps }) => {
    const upload = await loadForWriting(deps, principal, params.id);
    return json(200, { urls: await partUrls(deps, upload, body) });
  },
);
