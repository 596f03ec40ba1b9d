import type { ConsumedCapacity } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  type PutCommandInput,
  QueryCommand,
  type QueryCommandInput,
  UpdateCommand,
  type UpdateCommandInput,
} from '@aws-sdk/lib-dynamodb';

export type Item = Record<string, unknown>;
type Key = Record<string, string>;

/**
 * The few DynamoDB calls the store makes, bound to one table, with capacity accounting: every
 * call asks for ReturnConsumedCapacity TOTAL (it costs nothing) so tests and operators can see
 * what an operation really costs. Items come back as `unknown` values — mapping checks them.
 */
export class TableClient {
  readonly doc: DynamoDBDocumentClient;
  readonly table: string;
  consumedWriteUnits = 0;
  consumedReadUnits = 0;

  constructor(doc: DynamoDBDocumentClient, table: string) {
    this.doc = doc;
    this.table = table;
  }

  #reads(c: ConsumedCapacity | ConsumedCapacity[] | undefined): void {
    for (const x of [c ?? []].flat()) this.consumedReadUnits += x.CapacityUnits ?? 0;
  }

  #writes(c: ConsumedCapacity | undefined): void {
    this.consumedWriteUnits += c?.CapacityUnits ?? 0;
  }

  async put(input: Omit<PutCommandInput, 'TableName'>): Promise<void> {
    const out = await this.doc.send(
      new PutCommand({ ...input, TableName: this.table, ReturnConsumedCapacity: 'TOTAL' }),
    );
    this.#writes(out.ConsumedCapacity);
  }

  async update(input: Omit<UpdateCommandInput, 'TableName'>): Promise<Item | undefined> {
    const out = await this.doc.send(
      new UpdateCommand({ ...input, TableName: this.table, ReturnConsumedCapacity: 'TOTAL' }),
    );
    this.#writes(out.ConsumedCapacity);
    return out.Attributes;
  }

  async get(key: Key, projection?: { expression: string; names: Record<string, string> }): Promise<Item | undefined> {
    const out = await this.doc.send(
      new GetCommand({
        TableName: this.table,
        Key: key,
        ConsistentRead: true,
        ProjectionExpression: projection?.expression,
        ExpressionAttributeNames: projection?.names,
        ReturnConsumedCapacity: 'TOTAL',
      }),
    );
    this.#reads(out.ConsumedCapacity);
    return out.Item;
  }

  async query(input: Omit<QueryCommandInput, 'TableName'>): Promise<{ items: Item[]; count: number; last?: Item }> {
    const out = await this.doc.send(
      new QueryCommand({ ...input, TableName: this.table, ReturnConsumedCapacity: 'TOTAL' }),
    );
    this.#reads(out.ConsumedCapacity);
    return { items: out.Items ?? [], count: out.Count ?? 0, last: out.LastEvaluatedKey };
  }

  /** Strongly consistent reads of many items; order is not kept. Retries unprocessed keys. */
  async batchGet(keys: readonly Key[]): Promise<Item[]> {
    const found: Item[] = [];
    for (let i = 0; i < keys.length; i += 100) {
      let pending: Key[] = keys.slice(i, i + 100);
      for (let attempt = 0; pending.length > 0; attempt++) {
        if (attempt > 8) throw new Error(`BatchGetItem left ${pending.length} keys unprocessed after retries`);
        // Unprocessed keys mean throttling: back off before asking again.
        if (attempt > 0) await new Promise((r) => setTimeout(r, Math.min(1000, 25 * 2 ** attempt)));
        const out = await this.doc.send(
          new BatchGetCommand({
            RequestItems: { [this.table]: { Keys: pending, ConsistentRead: true } },
            ReturnConsumedCapacity: 'TOTAL',
          }),
        );
        this.#reads(out.ConsumedCapacity);
        found.push(...(out.Responses?.[this.table] ?? []));
        pending = (out.UnprocessedKeys?.[this.table]?.Keys ?? []) as Key[];
      }
    }
    return found;
  }
}
