import middy, { type MiddlewareObj } from '@middy/core';
import type { Context } from 'aws-lambda';
import { isUploadError, validationFailed } from '../errors.ts';
import { withLogContext } from '../log-context.ts';
import type { Logger } from '../logger.ts';
import * as z from '../zod.ts';
import { runtimeFor } from './current.ts';
import { type DepsFor, depsFor, type Uses } from './uses.ts';

export interface InvocationSpec<I, U extends Uses> {
  /** Function name, for logs. */
  name: string;
  /** What the event must be; a bad one fails the invocation with VALIDATION_FAILED, not a ZodError. */
  input: z.ZodMiniType<I>;
  uses?: U;
}

export interface InvocationInput<I, U extends Uses> {
  input: I;
  deps: DepsFor<U>;
  log: Logger;
  context: Context;
}

/** Per-invocation state on middy's `internal`, so the middleware holds none of its own. */
interface Timing {
  startedAt: number;
}

/**
 * One start line, and one outcome line (with the time taken) per invocation, on the invocation's
 * own logger. A failure is logged and rethrown, so Lambda counts and retries it.
 */
const invocationLogger = <E, R>(log: (context: Context) => Logger): MiddlewareObj<E, R, Error, Context> => ({
  name: 'invocation-logger',
  before: (request) => {
    (request.internal as Partial<Timing>).startedAt = Date.now();
    log(request.context).info('invocation start');
  },
  after: (request) => {
    log(request.context).info('invocation done', {
      ms: Date.now() - ((request.internal as Partial<Timing>).startedAt ?? 0),
    });
  },
  onError: (request) => {
    const e = request.error;
    log(request.context).error('invocation failed', {
      code: isUploadError(e) ? e.code : (e?.name ?? 'unknown'),
      // Causes are our own adapters' errors (status, COS code); never request bodies or secrets.
      error: e instanceof Error ? { message: e.message, cause: String(e.cause ?? '') } : String(e),
    });
  },
});

/**
 * A Lambda entry that is not behind API Gateway (a schedule, a stream): the same runtime, the same
 * request-scoped deps as route() gives, its logger carrying `fn` and the invocation's request id.
 */
export function invocation<E, R, I, U extends Uses = Uses>(
  spec: InvocationSpec<I, U>,
  fn: (input: InvocationInput<I, U>) => Promise<R>,
) {
  const scope = (context: Context) => ({ fn: spec.name, requestId: context.awsRequestId });
  const log = (context: Context) => runtimeFor(spec.uses).log.child(scope(context));
  return middy<E, R, Error, Context>()
    .use(invocationLogger<E, R>(log))
    .handler(async (event, context) => {
      const parsed = spec.input.safeParse(event ?? {});
      if (!parsed.success) {
        throw validationFailed(
          parsed.error.issues.map((i) => ({ path: ['event', ...i.path.map(String)], message: i.message })),
        );
      }
      return withLogContext(scope(context), async () => {
        const deps = await depsFor(runtimeFor(spec.uses), spec.uses, scope(context));
        return fn({ input: parsed.data, deps, log: deps.log, context });
      });
    });
}
