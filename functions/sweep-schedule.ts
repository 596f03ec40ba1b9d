import middy, { type MiddlewareObj } from '@middy/core';
import type { Context, ScheduledEvent } from 'aws-lambda';
import { type SweepReport, sweep } from '../shared/core/sweep.ts';
import { isUploadError } from '../shared/errors.ts';
import { createLogger, type Logger } from '../shared/logger.ts';
import { coreDeps } from '../shared/runtime/core-deps.ts';
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

/** One start line and one outcome line per invocation; a failure is logged and rethrown, so Lambda counts and retries it. */
const scheduleLogger = (log: () => Logger): MiddlewareObj<ScheduleEvent, SweepReport, Error, Context> => {
  let startedAt = 0;
  return {
    name: 'schedule-logger',
    before: (request) => {
      startedAt = Date.now();
      log().info('scheduled sweep start', { requestId: request.context.awsRequestId, resume: resumeCursor !== null });
    },
    after: (request) => {
      log().info('scheduled sweep done', { requestId: request.context.awsRequestId, ms: Date.now() - startedAt });
    },
    onError: (request) => {
      const e = request.error;
      log().error('scheduled sweep failed', {
        requestId: request.context.awsRequestId,
        code: isUploadError(e) ? e.code : (e?.name ?? 'unknown'),
        // Causes are our own adapters' errors (status, COS code); never request bodies or secrets.
        error: e instanceof Error ? { message: e.message, cause: String(e.cause ?? '') } : String(e),
      });
    },
  };
};

let baseLog: Logger | undefined;
const logger = () => (baseLog ??= createLogger(undefined, { fn: 'sweep-schedule' }));

export const handler = middy<ScheduleEvent, SweepReport, Error, Context>()
  .use(scheduleLogger(logger))
  .handler(async (event, context) => {
    const input = scheduleInput.parse(event ?? {});
    const deps = await coreDeps();
    const report = await sweep(
      { ...deps, log: deps.log.child({ fn: 'sweep-schedule', requestId: context.awsRequestId }) },
      { olderThanSeconds: input.olderThanSeconds, dryRun: input.dryRun, cursor: resumeCursor ?? undefined },
    );
    resumeCursor = report.nextCursor;
    return report;
  });
