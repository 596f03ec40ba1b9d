import type { ConsumedCapacity } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  DeleteCommand,
  type DeleteCommandInput,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  type PutCommandInput,
  QueryCommand,
  type QueryCommandInput,
  TransactWriteCommand,
  type TransactWriteCommandInput,
  UpdateCommand,
  type UpdateCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { storeUnavailable } from '../errors.ts';
import { translateDynamoDbError } from './dynamodb-errors.ts';
import type { StoreLog } from './dynamodb-retry-log.ts';

export type Item = Record<string, unknown>;
type Key = Record<string, string>;

/**
 * How BatchGetItem's unprocessed keys are asked for again: `maxAttempts` calls in all, sleeping
 * min(maxDelayMs, baseDelayMs × 2^n) before the n-th retry. Unprocessed keys are not an error to
 * the SDK (the call succeeded, partly), so its own retries never see them.
 */
export interface BatchGetRetry {
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

/** One action of a transaction, without TableName (the client adds its table). */
type Action = NonNullable<TransactWriteCommandInput['TransactItems']>[number];
export type TransactItem = { [K in keyof Action]?: Omit<NonNullable<Action[K]>, 'TableName'> };

/** A transaction either happened, or some of its conditions failed (indexes into its items) and nothing did. */
export type TransactOutcome = { ok: true } | { ok: false; failed: number[] };

/**
 * Another transaction held one of the items (TransactionConflict; a plain write meeting a
 * transaction gets TransactionConflictException): nothing was written and the SDK does not retry
 * it, so we do, a few times with jitter, before calling the store unavailable.
 */
const CONFLICT_ATTEMPTS = 8;
const conflictDelayMs = (attempt: number) => Math.min(400, 10 * 2 ** attempt) * (0.5 + Math.random());

/** 9 calls, 50 ms to 1 s apart: about 4.5 s of sleeps before the listing gives up. */
export const DEFAULT_BATCH_GET_RETRY: BatchGetRetry = { maxAttempts: 9, baseDelayMs: 25, maxDelayMs: 1_000 };

export interface TableClientOptions {
  /** Retry notices for unprocessed keys (the SDK's own retries are logged by dynamodb-retry-log.ts). */
  log?: StoreLog;
  batchGetRetry?: BatchGetRetry;
}

/**
 * The few DynamoDB calls the store makes, bound to one table, with capacity accounting: every
 * call asks for ReturnConsumedCapacity TOTAL (it costs nothing) so tests and operators can see
 * what an operation really costs. Items come back as `unknown` values — mapping checks them.
 *
 * The error boundary: what the SDK gave up on after its retries (throttling, a 5xx, the network)
 * and keys BatchGetItem still left unprocessed leave as `storeUnavailable` (503, retryable); a
 * conditional check failure and our own bugs (ValidationException) leave as they came.
 */
export class TableClient {
  readonly doc: DynamoDBDocumentClient;
  readonly table: string;
  consumedWriteUnits = 0;
  consumedReadUnits = 0;
  readonly #log: StoreLog | undefined;
  readonly #batchGetRetry: BatchGetRetry;

  constructor(doc: DynamoDBDocumentClient, table: string, opts: TableClientOptions = {}) {
    this.doc = doc;
    this.table = table;
    this.#log = opts.log;
    this.#batchGetRetry = opts.batchGetRetry ?? DEFAULT_BATCH_GET_RETRY;
  }

  #reads(c: ConsumedCapacity | ConsumedCapacity[] | undefined): void {
    for (const x of [c ?? []].flat()) this.consumedReadUnits += x.CapacityUnits ?? 0;
  }

  #writes(c: ConsumedCapacity | undefined): void {
    this.consumedWriteUnits += c?.CapacityUnits ?? 0;
  }

  /** Every call goes through here: the one place DynamoDB's errors are translated. */
  async #call<T>(send: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await send();
      } catch (e) {
        if (!(e instanceof Error && e.name === 'TransactionConflictException') || attempt >= CONFLICT_ATTEMPTS) {
          throw translateDynamoDbError(e);
        }
        await new Promise((r) => setTimeout(r, conflictDelayMs(attempt)));
      }
    }
  }

  /**
   * TransactWriteItems on this table (≤ 100 actions, one per item). The SDK fills in the
   * ClientRequestToken and keeps it across its own retries, so a retry after a lost answer is not
   * applied twice. A cancellation for conditions comes back as `failed`; one for conflicts with
   * another transaction is tried again; one for throttling is STORE_UNAVAILABLE.
   */
  async transact(items: readonly TransactItem[]): Promise<TransactOutcome> {
    const withTable = items.map((item) => {
      const out: Record<string, unknown> = {};
      for (const [op, body] of Object.entries(item)) if (body) out[op] = { ...body, TableName: this.table };
      return out as Action;
    });
    for (let attempt = 1; ; attempt++) {
      let codes: string[];
      try {
        const out = await this.#call(() =>
          this.doc.send(new TransactWriteCommand({ TransactItems: withTable, ReturnConsumedCapacity: 'TOTAL' })),
        );
        for (const c of out.ConsumedCapacity ?? []) this.#writes(c);
        return { ok: true };
      } catch (e) {
        if (!(e instanceof Error && e.name === 'TransactionCanceledException')) throw e;
        codes = ((e as { CancellationReasons?: { Code?: string }[] }).CancellationReasons ?? []).map(
          (r) => r.Code ?? 'None',
        );
        const failed = codes.flatMap((c, i) => (c === 'ConditionalCheckFailed' ? [i] : []));
        if (failed.length > 0) return { ok: false, failed };
        const busy = codes.some((c) => c === 'ThrottlingError' || c === 'ProvisionedThroughputExceeded');
        if (busy || (codes.includes('TransactionConflict') && attempt >= CONFLICT_ATTEMPTS)) throw storeUnavailable(e);
        if (!codes.includes('TransactionConflict')) throw e;
      }
      await new Promise((r) => setTimeout(r, conflictDelayMs(attempt)));
    }
  }

  async put(input: Omit<PutCommandInput, 'TableName'>): Promise<void> {
    const out = await this.#call(() =>
      this.doc.send(new PutCommand({ ...input, TableName: this.table, ReturnConsumedCapacity: 'TOTAL' })),
    );
    this.#writes(out.ConsumedCapacity);
  }

  async delete(input: Omit<DeleteCommandInput, 'TableName'>): Promise<void> {
    const out = await this.#call(() =>
      this.doc.send(new DeleteCommand({ ...input, TableName: this.table, ReturnConsumedCapacity: 'TOTAL' })),
    );
    this.#writes(out.ConsumedCapacity);
  }

  async update(input: Omit<UpdateCommandInput, 'TableName'>): Promise<Item | undefined> {
    const out = await this.#call(() =>
      this.doc.send(new UpdateCommand({ ...input, TableName: this.table, ReturnConsumedCapacity: 'TOTAL' })),
    );
    this.#writes(out.ConsumedCapacity);
    return out.Attributes;
  }

  async get(key: Key, projection?: { expression: string; names: Record<string, string> }): Promise<Item | undefined> {
    const out = await this.#call(() =>
      this.doc.send(
        new GetCommand({
          TableName: this.table,
          Key: key,
          ConsistentRead: true,
          ProjectionExpression: projection?.expression,
          ExpressionAttributeNames: projection?.names,
          ReturnConsumedCapacity: 'TOTAL',
        }),
      ),
    );
    this.#reads(out.ConsumedCapacity);
    return out.Item;
  }

  async query(input: Omit<QueryCommandInput, 'TableName'>): Promise<{ items: Item[]; count: number; last?: Item }> {
    const out = await this.#call(() =>
      this.doc.send(new QueryCommand({ ...input, TableName: this.table, ReturnConsumedCapacity: 'TOTAL' })),
    );
    this.#reads(out.ConsumedCapacity);
    return { items: out.Items ?? [], count: out.Count ?? 0, last: out.LastEvaluatedKey };
  }

  /**
   * Strongly consistent reads of many items; order is not kept. Unprocessed keys mean throttling:
   * they are asked for again after a backoff (each retry logged), and keys still unprocessed after
   * the last attempt make the whole read STORE_UNAVAILABLE, never a short answer.
   */
  async batchGet(keys: readonly Key[]): Promise<Item[]> {
    const { maxAttempts, baseDelayMs, maxDelayMs } = this.#batchGetRetry;
    const found: Item[] = [];
    for (let i = 0; i < keys.length; i += 100) {
      let pending: Key[] = keys.slice(i, i + 100);
      for (let attempt = 1; pending.length > 0; attempt++) {
        if (attempt > 1) {
          if (attempt > maxAttempts) {
            throw storeUnavailable(
              new Error(`BatchGetItem left ${pending.length} keys unprocessed after ${maxAttempts} attempts`),
            );
          }
          const delayMs = Math.min(maxDelayMs, baseDelayMs * 2 ** (attempt - 1));
          this.#log?.({
            msg: 'dynamodb retry',
            op: 'BatchGetItem',
            attempt: attempt - 1,
            error: 'UnprocessedKeys',
            unprocessed: pending.length,
            delayMs,
          });
          await new Promise((r) => setTimeout(r, delayMs));
        }
        const out = await this.#call(() =>
          this.doc.send(
            new BatchGetCommand({
              RequestItems: { [this.table]: { Keys: pending, ConsistentRead: true } },
              ReturnConsumedCapacity: 'TOTAL',
            }),
          ),
        );
        this.#reads(out.ConsumedCapacity);
        found.push(...(out.Responses?.[this.table] ?? []));
        pending = (out.UnprocessedKeys?.[this.table]?.Keys ?? []) as Key[];
      }
    }
    return found;
  }
}
