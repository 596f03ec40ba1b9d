import { UsageError } from './cli-errors.ts';
import { client } from './client.ts';
import type { Ctx } from './ctx.ts';
import { parseCommand } from './parse-command.ts';

/** `abort <upload id>`: DELETE /v1/admin/uploads/{id}. */
export async function abort(args: string[], io: Ctx): Promise<void> {
  const { positionals } = parseCommand('abort', args, {}, true);
  const [id, ...extra] = positionals;
  if (!id || extra.length > 0) throw new UsageError('abort needs exactly one upload id');
  await client(io)('DELETE', `/v1/admin/uploads/${encodeURIComponent(id)}`);
  io.out(`${JSON.stringify({ aborted: id })}\n`);
}
