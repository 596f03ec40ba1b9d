import { credentialsBody } from '../shared/api/credentials-schemas.ts';
import { uploadIdParams } from '../shared/api/schemas.ts';
import { issueCredentials } from '../shared/core/issue-credentials.ts';
import { loadForWriting } from '../shared/core/owned-upload.ts';
import { json } from '../shared/http/api-event.ts';
import { route } from '../shared/http/route.ts';
import { withSts } from '../shared/runtime/with-sts.ts';

/**
 * POST /v1/uploads/{id}/credentials. The only route that names the STS issuer, so the only bundle
 * that carries the Tencent STS SDK (loaded on first use).
 */
export const handler = route(
  { name: 'credentials', auth: 'user', params: uploadIdParams, body: credentialsBody, uses: withSts },
  async ({ params, principal, deps }) => {
    const upload = await loadForWriting(deps, principal, params.id);
    // The answer holds secrets: no cache may keep it.
    return json(200, await issueCredentials(deps, upload), { 'cache-control': 'no-store' });
  },
);
