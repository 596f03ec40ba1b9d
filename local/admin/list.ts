import type { AdminUpload } from '../../shared/api/admin-response-schemas.ts';
import type { Ctx } from './ctx.ts';
import { type Listing, PAGE_OPTIONS, pagedList } from './paged-list.ts';
import { parseCommand } from './parse-command.ts';

const UPLOADS: Listing<'uploads', AdminUpload> = {
  path: '/v1/admin/uploads',
  key: 'uploads',
  noun: 'upload',
  columns: [
    ['ID', (u) => u.id],
    ['OWNER', (u) => u.owner],
    ['STATE', (u) => u.state],
    ['STRATEGY', (u) => u.strategy],
    ['SIZE', (u) => (u.size === null ? '?' : String(u.size))],
    ['CREATED', (u) => u.createdAt],
    ['LAST ACTIVITY', (u) => u.lastActivityAt],
    ['FILE', (u) => u.fileName],
  ],
};

const LIST_OPTIONS = {
  state: { type: 'string' },
  owner: { type: 'string' },
  'created-before': { type: 'string' },
  ...PAGE_OPTIONS,
} as const;

/** `list`: the uploads (GET /v1/admin/uploads). */
export async function list(args: string[], io: Ctx): Promise<void> {
  const { values } = parseCommand('list', args, LIST_OPTIONS);
  const query = new URLSearchParams();
  if (values.state) query.set('state', values.state);
  if (values.owner) query.set('owner', values.owner);
  if (values['created-before']) query.set('createdBefore', values['created-before']);
  await pagedList(io, UPLOADS, query, values);
}
