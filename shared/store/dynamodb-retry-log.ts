import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { FinalizeHandlerArguments, FinalizeRequestMiddleware, MetadataBearer } from '@smithy/types';
import { idFromPk } from './dynamodb-keys.ts';

/** Where the store's retry notices go: op, attempt, error name, delay, the upload id — no item contents. */
export type StoreLog = (line: Record<string, unknown>) => void;

export const RETRY_LOG_MIDDLEWARE = 'uploadStoreRetryLog';

interface Failure {
  attempt: number;
  at: number;
  fields: Record<string, unknown>;
}

/**
 * Logs each retry the SDK's own retry strategy makes (standard mode: throttling, 5xx, network).
 * The middleware sits right after the SDK's retryMiddleware, so it runs once per attempt: when an
 * attempt after a failed one starts, the strategy decided to retry, and the time since the failure
 * is the delay it slept. One line per retry, as the COS client's `cos retry`:
 * `{ msg: 'dynamodb retry', op, attempt, error, status?, requestId?, delayMs, uploadId? }` where
 * `attempt` is the attempt that failed. The final failure is not a retry: it leaves the table
 * client as STORE_UNAVAILABLE and is logged once by whoever answers the request.
 *
 * Per-send state is keyed on the handler arguments, which the retry middleware passes again,
 * unchanged, to every attempt of one send. Adding it again (a second store on one client) replaces it.
 */
export function logRetries(client: DynamoDBClient, log: StoreLog): void {
  const failures = new WeakMap<FinalizeHandlerArguments<object>, Failure>();
  const middleware: FinalizeRequestMiddleware<object, MetadataBearer> = (next, context) => async (args) => {
    const previous = failures.get(args);
    if (previous) {
      log({
        msg: 'dynamodb retry',
        op: opName(context.commandName),
        attempt: previous.attempt,
        ...previous.fields,
        delayMs: Math.round(performance.now() - previous.at),
        ...uploadIdOf(args.input),
      });
    }
    try {
      return await next(args);
    } catch (e) {
      failures.set(args, { attempt: (previous?.attempt ?? 0) + 1, at: performance.now(), fields: describe(e) });
      throw e;
    }
  };
  client.middlewareStack.addRelativeTo(middleware, {
    name: RETRY_LOG_MIDDLEWARE,
    relation: 'after',
    toMiddleware: 'retryMiddleware',
    override: true,
  });
}

export const opName = (commandName: string | undefined) => (commandName ?? 'unknown').replace(/Command$/, '');

/** The error's name, HTTP status, AWS request id and socket code: never its message (it may quote input). */
function describe(e: unknown): Record<string, unknown> {
  if (!(e instanceof Error)) return { error: typeof e };
  const f = e as Error & { code?: unknown; $metadata?: { httpStatusCode?: unknown; requestId?: unknown } };
  return {
    error: f.name,
    ...(typeof f.code === 'string' ? { code: f.code } : {}),
    ...(typeof f.$metadata?.httpStatusCode === 'number' ? { status: f.$metadata.httpStatusCode } : {}),
    ...(typeof f.$metadata?.requestId === 'string' ? { requestId: f.$metadata.requestId } : {}),
  };
}

/**
 * The upload a call is about, when it is about one: the `UPLOAD#<id>` partition key of Key, Item
 * or a Query's `:pk` (DynamoDB JSON here: the document client has marshalled it). Nothing else of
 * the input — an owner's partition, say — is ever read.
 */
export function uploadIdOf(input: unknown): { uploadId?: string } {
  if (typeof input !== 'object' || input === null) return {};
  const i = input as {
    Key?: { pk?: unknown };
    Item?: { pk?: unknown };
    ExpressionAttributeValues?: { ':pk'?: unknown };
  };
  for (const v of [i.Key?.pk, i.Item?.pk, i.ExpressionAttributeValues?.[':pk']]) {
    const s = typeof v === 'string' ? v : (v as { S?: unknown } | undefined)?.S;
    if (typeof s === 'string' && s.startsWith('UPLOAD#')) return { uploadId: idFromPk(s) };
  }
  return {};
}
