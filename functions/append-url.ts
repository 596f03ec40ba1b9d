import { appendUrlBody, uploadIdParams } from '../shared/api/schemas.ts';
import { appendUrl } from '../shared/core/append-url.ts';
import { loadForWriting } from '../shared/core/owned-upload.ts';
import { json } from '../shared/http/api-event.ts';
import { route } from '../shared/http/route.ts';
import { withCos } from '../shared/runtime/with-cos.ts';

/** POST /v1/uploads/{id}/append-url */
export const handler = route(
  { name: 'append-url', auth: 'user', params: uploadIdParams, body: appendUrlBody, uses: withCos },
  async ({ params, body, principal, deps }) => {
    const upload = await loadForWriting(deps, principal, params.id);
    return json(200, await appendUrl(deps, upload, body));
  },
);
