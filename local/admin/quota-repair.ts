import { UsageError } from './cli-errors.ts';
import { client } from './client.ts';
import type { Ctx } from './ctx.ts';
import { parseCommand } from './parse-command.ts';

/** `quota-repair <owner>...`: one repair per owner named (the token's `sub`), each report a line of JSON. */
export async function quotaRepair(args: string[], io: Ctx): Promise<void> {
  const { positionals } = parseCommand('quota-repair', args, {}, true);
  if (positionals.length === 0) throw new UsageError('quota-repair needs at least one owner');
  const call = client(io);
  for (const owner of positionals) {
    io.out(`${JSON.stringify(await call<unknown>('POST', '/v1/admin/quota-repair', { owner }))}
`);
  }
}
