import { createUploadBody } from '../shared/api/schemas.ts';
import { createSession, toSessionView } from '../shared/core/create-session.ts';
import { json } from '../shared/http/api-event.ts';
import { route } from '../shared/http/route.ts';
import { withCos } from '../shared/runtime/with-cos.ts';

/** POST /v1/uploads: 201 with the new upload (and `urls` with `presign`), 200 for a dedupe hit. */
export const handler = route(
  { name: 'create-upload', auth: 'user', body: createUploadBody, uses: withCos },
  async ({ body, principal, deps }) => {
    const session = await createSession(deps, principal.sub, body);
    return json(session.deduplicated ? 200 : 201, toSessionView(session, deps.clock.now()));
  },
);
