import { recordPartsBody, uploadIdParams } from '../shared/api/schemas.ts';
import { loadForWriting } from '../shared/core/owned-upload.ts';
import { recordParts } from '../shared/core/record-parts.ts';
import { json } from '../shared/http/api-event.ts';
import { route } from '../shared/http/route.ts';
import { withStore } from '../shared/runtime/with-store.ts';

/** PUT /v1/uploads/{id}/parts */
export const handler = route(
  { name: 'record-parts', auth: 'user', params: uploadIdParams, body: recordPartsBody, uses: withStore },
  async ({ params, body, principal, deps }) => {
    const upload = await loadForWriting(deps, principal, params.id);
    return json(200, { recorded: await recordParts(deps, upload, body.parts) });
  },
);
