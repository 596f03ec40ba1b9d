import type { AdminEvent } from '../../shared/api/admin-response-schemas.ts';
import { UsageError } from './cli-errors.ts';
import { client } from './client.ts';
import type { Ctx } from './ctx.ts';
import { parseCommand } from './parse-command.ts';

/** `redeliver <event id>`: queues one event again (POST /v1/admin/events/{id}/redeliver). */
export async function redeliver(args: string[], io: Ctx): Promise<void> {
  const { positionals } = parseCommand('redeliver', args, {}, true);
  const [id, ...extra] = positionals;
  if (!id || extra.length > 0) throw new UsageError('redeliver needs exactly one event id');
  const answer = await client(io)<{ event: AdminEvent }>(
    'POST',
    `/v1/admin/events/${encodeURIComponent(id)}/redeliver`,
  );
  io.out(`${JSON.stringify({ redelivered: answer.event.id, state: answer.event.state })}\n`);
}
