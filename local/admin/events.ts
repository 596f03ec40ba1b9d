import type { AdminEvent } from '../../shared/api/admin-response-schemas.ts';
import type { Ctx } from './ctx.ts';
import { type Listing, PAGE_OPTIONS, pagedList } from './paged-list.ts';
import { parseCommand } from './parse-command.ts';

const EVENTS: Listing<'events', AdminEvent> = {
  path: '/v1/admin/events',
  key: 'events',
  noun: 'event',
  columns: [
    ['ID', (e) => e.id],
    ['TYPE', (e) => e.type],
    ['STATE', (e) => e.state],
    ['ATTEMPTS', (e) => String(e.attempts)],
    ['CREATED', (e) => e.createdAt],
    ['NEXT ATTEMPT', (e) => e.nextAttemptAt ?? '-'],
    ['LAST ERROR', (e) => e.lastError ?? '-'],
  ],
};

const EVENTS_OPTIONS = {
  state: { type: 'string' },
  ...PAGE_OPTIONS,
} as const;

/** `events`: the webhook outbox (GET /v1/admin/events), as `list` shows uploads. */
export async function events(args: string[], io: Ctx): Promise<void> {
  const { values } = parseCommand('events', args, EVENTS_OPTIONS);
  const query = new URLSearchParams();
  if (values.state) query.set('state', values.state);
  await pagedList(io, EVENTS, query, values);
}
