import { adminListQuery } from '../shared/api/admin-schemas.ts';
import { listUploads } from '../shared/core/list-uploads.ts';
import { json } from '../shared/http/api-event.ts';
import { route } from '../shared/http/route.ts';
import { withStore } from '../shared/runtime/with-store.ts';

/** GET /v1/admin/uploads — every owner's uploads, newest first, filtered and paged. */
export const handler = route(
  { name: 'admin-list-uploads', auth: 'admin', query: adminListQuery, uses: withStore },
  async ({ query, deps }) => {
    return json(200, await listUploads(deps, query));
  },
);
