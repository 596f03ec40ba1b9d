/**
 * The local stand-in for the event source mapping that serverless.yml gives functions/complete-worker.ts:
 * it reads the table's real DynamoDB Stream from DynamoDB Local, keeps the records that the same
 * filter lets through (shared/store/completion-stream-filter.json, which serverless.yml includes),
 * and invokes the worker's Lambda handler with a DynamoDBStreamEvent of those records, retrying
 * the ones it reports failed as Lambda would. So locally, as in AWS, nothing but the stream starts
 * a completion worker on DynamoDB.
 */
import { randomUUID } from 'node:crypto';
import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  type _Record,
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  ExpiredIteratorException,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type Shard,
  type ShardIteratorType,
  TrimmedDataAccessException,
} from '@aws-sdk/client-dynamodb-streams';
import type { Context, DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { handler as completeWorker } from '../functions/complete-worker.ts';
import { createLogger, type Logger } from '../shared/logger.ts';
import completionFilter from '../shared/store/completion-stream-filter.json' with { type: 'json' };
import eventFilters from '../shared/store/event-stream-filter.json' with { type: 'json' };
import { type FilterPattern, matchesEventFilter } from './lambda-event-filter.ts';

/** serverless.yml's complete-worker stream event uses the same numbers (test/deploy checks). */
export const STREAM_BATCH_SIZE = 10;
export const STREAM_MAX_RETRIES = 5;
export const COMPLETION_FILTER: FilterPattern = completionFilter;
/** deliver-events' filters (serverless.yml lists both, which Lambda ORs). */
export const EVENT_FILTERS: readonly FilterPattern[] = [eventFilters.terminal, eventFilters.created];

export type StreamHandler = (event: DynamoDBStreamEvent, context: Context) => Promise<DynamoDBBatchResponse | void>;

export interface StreamTriggerOptions {
  /** DynamoDB Local: a loopback URL only, this never polls a real table. */
  endpoint: string;
  table: string;
  /** Default: the complete-worker Lambda handler. */
  handler?: StreamHandler;
  /** Records matching any of these reach the handler (Lambda ORs a mapping's patterns). Default: the completion filter. */
  filters?: readonly FilterPattern[];
  /**
   * Where a fresh poller starts on the open shards. Default LATEST (serverless.yml's complete-worker).
   * TRIM_HORIZON reads the 24 h the stream keeps: what a Lambda mapping's checkpoint gives across
   * restarts, this poller (which keeps none) gets by reading again, for a handler that de-duplicates.
   */
  startAt?: 'LATEST' | 'TRIM_HORIZON';
  /** Wait between GetRecords calls on a shard that had nothing. Default 100 ms. */
  pollMs?: number;
  /** First retry after this, doubling each time. Default 200 ms. */
  retryDelayMs?: number;
  /** close() waits this long for handlers still running, then leaves them. Default 10 s. */
  closeGraceMs?: number;
  log?: Logger;
}

export interface StreamTriggerStats {
  /** Handler invocations, retries included. */
  invocations: number;
  /** Records delivered (each delivery of a retried record counts). */
  delivered: number;
  /** Records retried: from the first one the handler reported failed (all, if it threw) to the batch's end. */
  failed: number;
  /** Records given up after STREAM_MAX_RETRIES retries (in AWS: the dead-letter queue). */
  discarded: number;
}

export interface DynamoDbStreamTrigger {
  readonly streamArn: string;
  readonly stats: Readonly<StreamTriggerStats>;
  close(): Promise<void>;
}

interface ShardReader {
  id: string;
  parent: string | undefined;
  /** Where a fresh iterator starts when there is no last sequence number to continue after. */
  startAt: ShardIteratorType;
  iterator: string | undefined;
  lastSequenceNumber: string | undefined;
  /** Read to its end: a closed shard whose iterator ran out. */
  done: boolean;
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|localhost|\[::1\])$/;
/** How often the shard list is read again: DynamoDB closes shards and opens new ones on its own. */
const DISCOVER_MS = 5_000;

/** Starts polling at the stream's end (serverless.yml: startingPosition LATEST). */
export async function startDynamoDbStreamTrigger(opts: StreamTriggerOptions): Promise<DynamoDbStreamTrigger> {
  const url = new URL(opts.endpoint);
  if (!LOOPBACK.test(url.hostname)) throw new Error(`stream trigger: ${opts.endpoint} is not a loopback endpoint`);
  const config = {
    endpoint: opts.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  };
  const db = new DynamoDBClient(config);
  const streams = new DynamoDBStreamsClient(config);
  const handler: StreamHandler = opts.handler ?? completeWorker;
  const filters = opts.filters ?? [COMPLETION_FILTER];
  const pollMs = opts.pollMs ?? 100;
  const retryDelayMs = opts.retryDelayMs ?? 200;
  const log = (opts.log ?? createLogger()).child({ component: 'stream-trigger', table: opts.table });
  const stats: StreamTriggerStats = { invocations: 0, delivered: 0, failed: 0, discarded: 0 };

  let streamArn: string;
  const shards = new Map<string, ShardReader>();
  try {
    const { Table } = await db.send(new DescribeTableCommand({ TableName: opts.table }));
    if (!Table?.StreamSpecification?.StreamEnabled || !Table.LatestStreamArn) {
      throw new Error(`stream trigger: table ${opts.table} has no stream (ensureTable enables it)`);
    }
    streamArn = Table.LatestStreamArn;
    // Closed shards hold only history (read only from TRIM_HORIZON); open ones from their end, as LATEST does.
    for (const s of await listShards(streams, streamArn)) {
      const closed = s.SequenceNumberRange?.EndingSequenceNumber !== undefined;
      const startAt = opts.startAt ?? 'LATEST';
      shards.set(s.ShardId!, reader(s, closed ? 'TRIM_HORIZON' : startAt, closed && startAt === 'LATEST'));
    }
    // LATEST means "after the last record when the iterator is made": make them now, not at the first poll.
    for (const s of shards.values()) if (!s.done) s.iterator = await iteratorFor(streams, streamArn, s);
  } catch (e) {
    db.destroy();
    streams.destroy();
    throw e;
  }

  let closed = false;
  const wakers = new Set<() => void>();
  /** setTimeout that close() cuts short. */
  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(t);
        wakers.delete(done);
        resolve();
      };
      const t = setTimeout(done, ms);
      wakers.add(done);
    });
  // One delivery chain per item key: each upload's records reach the handler in stream order,
  // different uploads' side by side — what ParallelizationFactor gives in AWS, where Lambda keeps
  // order per partition key ("Using AWS Lambda with Amazon DynamoDB", concurrent shard reads).
  const chains = new Map<string, Promise<void>>();
  const running = new Set<Promise<void>>();

  const invoke = async (records: DynamoDBRecord[]): Promise<Set<string> | 'all'> => {
    stats.invocations++;
    stats.delivered += records.length;
    try {
      const result = await handler({ Records: records }, lambdaContext());
      const ids = (result?.batchItemFailures ?? []).map((f) => f.itemIdentifier);
      const known = new Set(records.map((r) => r.dynamodb?.SequenceNumber));
      // An identifier that names no record of the batch fails all of it ("Configuring partial
      // batch response with DynamoDB and Lambda", success and failure conditions).
      return ids.every((id) => id && known.has(id)) ? new Set(ids) : 'all';
    } catch (e) {
      // Lambda would bisect the batch (bisectBatchOnFunctionError); the worker handler reports
      // failures per record and does not throw, so here the whole batch is retried.
      log.error('stream handler threw', { error: e instanceof Error ? e.message : String(e) });
      return 'all';
    }
  };

  /** Lambda checkpoints before the lowest failed record and retries from it, later records included (same page). */
  const deliver = async (batch: DynamoDBRecord[]): Promise<void> => {
    let pending = batch;
    for (let retry = 0; !closed; retry++) {
      const failed = await invoke(pending);
      if (failed !== 'all' && failed.size === 0) return;
      const from = failed === 'all' ? 0 : pending.findIndex((r) => failed.has(r.dynamodb!.SequenceNumber!));
      pending = pending.slice(from);
      stats.failed += pending.length;
      if (retry >= STREAM_MAX_RETRIES) {
        stats.discarded += pending.length;
        log.error('stream records discarded after retries (in AWS: the dead-letter queue)', {
          sequenceNumbers: pending.map((r) => r.dynamodb?.SequenceNumber),
        });
        return;
      }
      await pause(retryDelayMs * 2 ** retry);
    }
  };

  const dispatch = (records: readonly _Record[]) => {
    const byKey = new Map<string, DynamoDBRecord[]>();
    for (const r of records) {
      const record = toLambdaRecord(r, streamArn);
      if (!filters.some((f) => matchesEventFilter(f, record))) continue;
      const key = JSON.stringify(record.dynamodb?.Keys ?? null);
      byKey.set(key, [...(byKey.get(key) ?? []), record]);
    }
    for (const [key, list] of byKey) {
      for (let i = 0; i < list.length; i += STREAM_BATCH_SIZE) {
        const batch = list.slice(i, i + STREAM_BATCH_SIZE);
        const next = (chains.get(key) ?? Promise.resolve()).then(() => deliver(batch));
        chains.set(key, next);
        running.add(next);
        void next.finally(() => {
          running.delete(next);
          if (chains.get(key) === next) chains.delete(key);
        });
      }
    }
  };

  /** One GetRecords on one shard; true when it returned records (poll again at once). */
  const poll = async (s: ShardReader): Promise<boolean> => {
    s.iterator ??= await iteratorFor(streams, streamArn, s);
    let out;
    try {
      out = await streams.send(new GetRecordsCommand({ ShardIterator: s.iterator, Limit: 1000 }));
    } catch (e) {
      // An iterator lives 15 minutes (GetShardIterator API reference): make another where we were.
      if (e instanceof ExpiredIteratorException) s.iterator = undefined;
      // Past the 24 h retention: what is left starts at the trim horizon.
      else if (e instanceof TrimmedDataAccessException) {
        Object.assign(s, { iterator: undefined, lastSequenceNumber: undefined, startAt: 'TRIM_HORIZON' });
      } else throw e;
      return false;
    }
    const records = out.Records ?? [];
    if (records.length > 0) {
      s.lastSequenceNumber = records.at(-1)!.dynamodb?.SequenceNumber;
      dispatch(records);
    }
    // No next iterator: the shard is closed and read to its end (GetRecords API reference).
    s.iterator = out.NextShardIterator;
    if (s.iterator === undefined) s.done = true;
    return records.length > 0;
  };

  /** Shards that appeared since: each starts at its beginning, after its parent is read out. */
  const discover = async () => {
    for (const s of await listShards(streams, streamArn)) {
      if (!shards.has(s.ShardId!)) shards.set(s.ShardId!, reader(s, 'TRIM_HORIZON', false));
    }
  };
  const parentRead = (s: ShardReader) => !s.parent || !shards.has(s.parent) || shards.get(s.parent)!.done;

  const loop = (async () => {
    let discoveredAt = Date.now();
    while (!closed) {
      let busy = false;
      try {
        for (const s of [...shards.values()]) {
          if (closed) break;
          // A child shard's records follow its parent's: read the parent out first ("Change data
          // capture for DynamoDB Streams", reading and processing a stream).
          if (!s.done && parentRead(s)) busy = (await poll(s)) || busy;
        }
        if (Date.now() - discoveredAt >= DISCOVER_MS) {
          await discover();
          discoveredAt = Date.now();
        }
      } catch (e) {
        if (closed) break;
        log.warn('stream poll failed', { error: e instanceof Error ? e.message : String(e) });
      }
      if (!busy && !closed) await pause(pollMs);
    }
  })();

  return {
    streamArn,
    stats,
    async close() {
      closed = true;
      for (const wake of [...wakers]) wake();
      await loop;
      // A worker still merging is a Lambda frozen mid-run: its lease lets the next one take over.
      const grace = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), opts.closeGraceMs ?? 10_000).unref());
      if ((await Promise.race([Promise.allSettled([...running]), grace])) === 'timeout') {
        log.warn('closing with completion workers still running', { running: running.size });
      }
      db.destroy();
      streams.destroy();
    },
  };
}

function reader(s: Shard, startAt: ShardIteratorType, done: boolean): ShardReader {
  return { id: s.ShardId!, parent: s.ParentShardId, startAt, iterator: undefined, lastSequenceNumber: undefined, done };
}

async function listShards(streams: DynamoDBStreamsClient, streamArn: string): Promise<Shard[]> {
  const shards: Shard[] = [];
  let after: string | undefined;
  do {
    const { StreamDescription } = await streams.send(
      new DescribeStreamCommand({ StreamArn: streamArn, ExclusiveStartShardId: after }),
    );
    shards.push(...(StreamDescription?.Shards ?? []));
    after = StreamDescription?.LastEvaluatedShardId;
  } while (after);
  return shards;
}

async function iteratorFor(streams: DynamoDBStreamsClient, streamArn: string, s: ShardReader): Promise<string> {
  const { ShardIterator } = await streams.send(
    new GetShardIteratorCommand({
      StreamArn: streamArn,
      ShardId: s.id,
      ...(s.lastSequenceNumber
        ? { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', SequenceNumber: s.lastSequenceNumber }
        : { ShardIteratorType: s.startAt }),
    }),
  );
  if (!ShardIterator) throw new Error(`stream trigger: no iterator for shard ${s.id}`);
  return ShardIterator;
}

/**
 * A GetRecords record as Lambda hands it to a function: the same JSON, plus the stream's ARN.
 * The SDK has turned the wire's epoch seconds into a Date and base64 into bytes; JSON, which is
 * what Lambda delivers, has them back as numbers and base64 strings.
 */
export function toLambdaRecord(r: _Record, eventSourceARN: string): DynamoDBRecord {
  const json = JSON.stringify({ ...r, eventSourceARN }, function (this: Record<string, unknown>, key, value: unknown) {
    const raw = this[key];
    if (raw instanceof Date) return raw.getTime() / 1000;
    if (raw instanceof Uint8Array) return Buffer.from(raw).toString('base64');
    return value;
  });
  return JSON.parse(json) as DynamoDBRecord;
}

function lambdaContext(): Context {
  // The function's 900 s timeout (serverless.yml).
  const deadline = Date.now() + 900_000;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: 'complete-worker',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:local:000000000000:function:complete-worker',
    memoryLimitInMB: '1024',
    awsRequestId: randomUUID(),
    logGroupName: '/aws/lambda/complete-worker',
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}
