import type { ScheduledEvent } from 'aws-lambda';
import { type SweepReport, sweep } from '../shared/core/sweep.ts';
import { withCos } from '../shared/runtime/with-cos.ts';
import { invocation } from '../shared/runtime/invocation.ts';
import * as z from '../shared/zod.ts';

/**
 * An EventBridge schedule event. A rule's constant `input` replaces the event, so the options a
 * rule may set sit at the top level; anything else (the scheduled event's own fields) is ignored.
 */
const scheduleInput = z.looseObject({
  olderThanSeconds: z.optional(z.number().check(z.int(), z.gte(60))),
  dryRun: z.optional(z.boolean()),
});
export type ScheduleEvent = ScheduledEvent | Record<string, unknown>;

/**
 * Where the last run's COS listing stopped. It lives only as long as the warm container — a cold
 * start begins the listing again, which costs a repeat, never a miss.
 */
let resumeCursor: string | null = null;

/** The hourly sweep (serverless.yml's schedule): a bounded run that the next one continues. */
export const handler = invocation<ScheduleEvent, SweepReport, z.infer<typeof scheduleInput>, typeof withCos>(
  { name: 'sweep-schedule', input: scheduleInput, uses: withCos },
  async ({ input, deps }) => {
    const report = await sweep(deps, {
      olderThanSeconds: input.olderThanSeconds,
      dryRun: input.dryRun,
      cursor: resumeCursor ?? undefined,
    });
    resumeCursor = report.nextCursor;
    return report;
  },
);
