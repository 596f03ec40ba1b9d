import { client } from './client.ts';
import type { Ctx } from './ctx.ts';
import { parseCommand } from './parse-command.ts';
import { parseDuration } from './parse-duration.ts';

const SWEEP_OPTIONS = {
  'dry-run': { type: 'boolean', default: false },
  'older-than': { type: 'string' },
  cursor: { type: 'string' },
} as const;

/**
 * A dry run changes nothing, yet the API lists what it would change under the names of the done
 * deed (`aborted`…): the CLI says `wouldAbort` so nobody reads a dry run as a real one.
 */
const DRY_RUN_NAMES: Record<string, string> = {
  aborted: 'wouldAbort',
  expired: 'wouldExpire',
  orphans: 'wouldAbortOrphans',
  redriven: 'wouldRedrive',
};

export function presentSweep(report: unknown): unknown {
  if (typeof report !== 'object' || report === null || (report as { dryRun?: unknown }).dryRun !== true) return report;
  return Object.fromEntries(Object.entries(report).map(([k, v]) => [DRY_RUN_NAMES[k] ?? k, v]));
}

/** `sweep [--dry-run] [--older-than 2h] [--cursor C]`: POST /v1/admin/sweep, the report as JSON. */
export async function sweep(args: string[], io: Ctx): Promise<void> {
  const { values } = parseCommand('sweep', args, SWEEP_OPTIONS);
  const body: Record<string, unknown> = { dryRun: values['dry-run'] };
  if (values['older-than'] !== undefined) body.olderThanSeconds = parseDuration(values['older-than']);
  if (values.cursor) body.cursor = values.cursor;
  const report = await client(io)<unknown>('POST', '/v1/admin/sweep', body);
  io.out(`${JSON.stringify(presentSweep(report), null, 2)}\n`);
}
