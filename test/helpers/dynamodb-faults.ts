import { Readable } from 'node:stream';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type {
  DeserializeMiddleware,
  HandlerExecutionContext,
  InitializeMiddleware,
  MetadataBearer,
} from '@smithy/types';

/**
 * Faults at the DynamoDB client's boundary, on a real client talking to DynamoDB Local: what
 * DynamoDB would answer, injected where the HTTP answer enters the SDK, so the SDK's own
 * deserializer builds the error and its own retry strategy retries it, as in AWS.
 */

export interface Fault {
  /** How many attempts were answered by the fault so far. */
  readonly hits: number;
  /** Takes the fault off the client. */
  remove(): void;
}

let faults = 0;
const opOf = (context: HandlerExecutionContext) => (context.commandName ?? '').replace(/Command$/, '');

/**
 * Answers matching operations ('GetItem', 'UpdateItem', ...) with DynamoDB's JSON error body and
 * status instead of sending them, `times` attempts at most (default: always). Sits right under the
 * SDK's deserializer, so each retry the SDK makes meets it again.
 */
export function answerWithError(
  client: DynamoDBClient,
  opts: { ops: readonly string[]; type: string; status?: number; message?: string; times?: number },
): Fault {
  const name = `testFault${++faults}`;
  let hits = 0;
  const middleware: DeserializeMiddleware<object, MetadataBearer> = (next, context) => async (args) => {
    if (!opts.ops.includes(opOf(context)) || hits >= (opts.times ?? Infinity)) return next(args);
    hits++;
    const body = JSON.stringify({
      __type: `com.amazonaws.dynamodb.v20120810#${opts.type}`,
      message: opts.message ?? `injected ${opts.type}`,
    });
    return {
      response: {
        statusCode: opts.status ?? 400,
        headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': `fault-${hits}` },
        body: Readable.from([Buffer.from(body)]),
      },
      output: undefined as never,
    };
  };
  client.middlewareStack.addRelativeTo(middleware, { name, relation: 'after', toMiddleware: 'deserializerMiddleware' });
  return {
    get hits() {
      return hits;
    },
    remove: () => void client.middlewareStack.remove(name),
  };
}

/**
 * BatchGetItem answers (really read from DynamoDB Local) with every key moved to UnprocessedKeys,
 * `times` calls at most (default: always): what DynamoDB does when the read exceeds a partition's
 * throughput. The SDK sees a success; the store's own loop has to ask again.
 */
export function leaveKeysUnprocessed(client: DynamoDBClient, opts: { times?: number } = {}): Fault {
  const name = `testFault${++faults}`;
  let hits = 0;
  type BatchGet = {
    RequestItems?: Record<string, { Keys?: unknown[] }>;
    Responses?: Record<string, unknown[]>;
    UnprocessedKeys?: Record<string, { Keys?: unknown[]; ConsistentRead?: boolean }>;
  };
  const middleware: InitializeMiddleware<object, MetadataBearer> = (next, context) => async (args) => {
    const result = await next(args);
    if (opOf(context) !== 'BatchGetItem' || hits >= (opts.times ?? Infinity)) return result;
    hits++;
    const input = args.input as BatchGet;
    const output = result.output as BatchGet;
    output.UnprocessedKeys = Object.fromEntries(
      Object.entries(input.RequestItems ?? {}).map(([table, r]) => [table, { Keys: r.Keys, ConsistentRead: true }]),
    );
    output.Responses = Object.fromEntries(Object.keys(input.RequestItems ?? {}).map((table) => [table, []]));
    return result;
  };
  client.middlewareStack.add(middleware, { name, step: 'initialize', priority: 'low' });
  return {
    get hits() {
      return hits;
    },
    remove: () => void client.middlewareStack.remove(name),
  };
}
