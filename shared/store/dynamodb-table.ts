import {
  CreateTableCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  type DynamoDBClient,
  ResourceInUseException,
  ResourceNotFoundException,
  type StreamSpecification,
  type TableDescription,
  UpdateTableCommand,
  UpdateTimeToLiveCommand,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import * as z from '../zod.ts';
import definition from './dynamodb-table.json' with { type: 'json' };

/**
 * The table, defined once in dynamodb-table.json in CloudFormation's property names, so
 * serverless.yml includes the same fields with `${file(./shared/store/dynamodb-table.json):KeySchema}` etc.
 *
 * The stream (NEW_IMAGE: the item as written) is the completion workers' durable trigger: an
 * upload entering `completing` with no lease starts functions/complete-worker.ts (serverless.yml).
 * CloudFormation's StreamSpecification has only StreamViewType; CreateTable and UpdateTable also
 * want `StreamEnabled: true` (CreateTable API reference, StreamSpecification).
 *
 * Projections are chosen for write cost: every update of an indexed item also writes each index
 * whose projected attributes changed. Recording parts and issuing URLs move `lastActivityAt`
 * constantly; with KEYS_ONLY (byOwner adds only `state`, which the quota count filters on) that
 * touches just byActivity, whose key moves anyway. Listings read keys from the index, then the
 * items with one BatchGetItem per 100.
 */
const keySchema = z.array(z.object({ AttributeName: z.string(), KeyType: z.enum(['HASH', 'RANGE']) }));
const tableSchema = z.object({
  BillingMode: z.literal('PAY_PER_REQUEST'),
  AttributeDefinitions: z.array(z.object({ AttributeName: z.string(), AttributeType: z.enum(['S', 'N', 'B']) })),
  KeySchema: keySchema,
  GlobalSecondaryIndexes: z.array(
    z.object({
      IndexName: z.string(),
      KeySchema: keySchema,
      Projection: z.object({
        ProjectionType: z.enum(['ALL', 'KEYS_ONLY', 'INCLUDE']),
        NonKeyAttributes: z.optional(z.array(z.string())),
      }),
    }),
  ),
  TimeToLiveSpecification: z.object({ AttributeName: z.string(), Enabled: z.boolean() }),
  StreamSpecification: z.object({
    StreamViewType: z.enum(['NEW_IMAGE', 'OLD_IMAGE', 'NEW_AND_OLD_IMAGES', 'KEYS_ONLY']),
  }),
  PointInTimeRecoverySpecification: z.object({ PointInTimeRecoveryEnabled: z.boolean() }),
});

export const tableDefinition = tableSchema.parse(definition);

/**
 * Creates the table (and turns on its stream and TTL) when it does not exist. For DynamoDB Local
 * at start-up; in AWS the table belongs to serverless.yml. Safe to race: a concurrent creator just wins.
 */
export async function ensureTable(client: DynamoDBClient, table: string): Promise<void> {
  const { BillingMode, AttributeDefinitions, KeySchema, GlobalSecondaryIndexes, TimeToLiveSpecification } =
    tableDefinition;
  const stream: StreamSpecification = {
    StreamEnabled: true,
    StreamViewType: tableDefinition.StreamSpecification.StreamViewType,
  };
  let described = await describeTable(client, table);
  if (!described) {
    try {
      await client.send(
        new CreateTableCommand({
          TableName: table,
          BillingMode,
          AttributeDefinitions,
          KeySchema,
          GlobalSecondaryIndexes,
          StreamSpecification: stream,
        }),
      );
    } catch (e) {
      if (!(e instanceof ResourceInUseException)) throw e;
    }
    await waitUntilTableExists({ client, maxWaitTime: 60, minDelay: 1, maxDelay: 2 }, { TableName: table });
    described = await describeTable(client, table);
  }
  // A table made before the stream existed (a developer's .data/dynamodb) gets it now.
  await ensureStream(client, table, described, stream);
  // ...and an index added since (byContent, for dedupe), one per UpdateTable as DynamoDB allows.
  await ensureIndexes(client, table, described);
  // Checked for an existing table too: a start-up that died between create and this step left it off.
  const ttl = await client.send(new DescribeTimeToLiveCommand({ TableName: table }));
  const status = ttl.TimeToLiveDescription?.TimeToLiveStatus;
  if (status === 'ENABLED' || status === 'ENABLING') return;
  try {
    await client.send(new UpdateTimeToLiveCommand({ TableName: table, TimeToLiveSpecification }));
  } catch (e) {
    // A racing ensureTable enabled it first.
    if (!(e instanceof Error && /already enabled/i.test(e.message))) throw e;
  }
}

async function ensureStream(
  client: DynamoDBClient,
  table: string,
  described: TableDescription | undefined,
  stream: StreamSpecification,
): Promise<void> {
  const current = described?.StreamSpecification;
  if (current?.StreamEnabled) {
    // A stream's view type cannot be changed in place, only by disabling it and enabling a new
    // one (UpdateTable API reference): that is a decision about someone's data, not start-up's.
    if (current.StreamViewType !== stream.StreamViewType) {
      throw new Error(
        `table ${table} streams ${current.StreamViewType}, the completion trigger needs ${stream.StreamViewType}: disable its stream (or delete the local table) and start again`,
      );
    }
    return;
  }
  try {
    await client.send(new UpdateTableCommand({ TableName: table, StreamSpecification: stream }));
  } catch (e) {
    // UpdateTable refuses to enable a stream that is already enabled (ValidationException): a racing ensureTable won.
    const now = await describeTable(client, table);
    if (!now?.StreamSpecification?.StreamEnabled) throw e;
  }
  await waitUntilTableExists({ client, maxWaitTime: 60, minDelay: 1, maxDelay: 2 }, { TableName: table });
}

async function ensureIndexes(client: DynamoDBClient, table: string, described: TableDescription | undefined) {
  const have = new Set((described?.GlobalSecondaryIndexes ?? []).map((g) => g.IndexName));
  for (const index of tableDefinition.GlobalSecondaryIndexes.filter((g) => !have.has(g.IndexName))) {
    const names = new Set(index.KeySchema.map((k) => k.AttributeName));
    try {
      await client.send(
        new UpdateTableCommand({
          TableName: table,
          AttributeDefinitions: tableDefinition.AttributeDefinitions.filter((a) => names.has(a.AttributeName)),
          GlobalSecondaryIndexUpdates: [{ Create: index }],
        }),
      );
    } catch (e) {
      // A racing ensureTable created it first.
      const now = await describeTable(client, table);
      if (!now?.GlobalSecondaryIndexes?.some((g) => g.IndexName === index.IndexName)) throw e;
    }
    await waitUntilIndexActive(client, table, index.IndexName);
  }
}

async function waitUntilIndexActive(client: DynamoDBClient, table: string, name: string): Promise<void> {
  for (let attempt = 0; attempt < 120; attempt++) {
    const now = await describeTable(client, table);
    if (now?.GlobalSecondaryIndexes?.find((g) => g.IndexName === name)?.IndexStatus === 'ACTIVE') return;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`index ${name} of table ${table} did not become ACTIVE within 60 s`);
}

async function describeTable(client: DynamoDBClient, table: string): Promise<TableDescription | undefined> {
  try {
    return (await client.send(new DescribeTableCommand({ TableName: table }))).Table;
  } catch (e) {
    if (e instanceof ResourceNotFoundException) return undefined;
    throw e;
  }
}
