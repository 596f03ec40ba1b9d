import {
  CreateTableCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  type DynamoDBClient,
  ResourceInUseException,
  ResourceNotFoundException,
  UpdateTimeToLiveCommand,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import * as z from '../zod.ts';
import definition from './dynamodb-table.json' with { type: 'json' };

/**
 * The table, defined once in dynamodb-table.json in CloudFormation's property names, so
 * serverless.yml includes the same fields with `${file(./shared/store/dynamodb-table.json):KeySchema}` etc.
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
  PointInTimeRecoverySpecification: z.object({ PointInTimeRecoveryEnabled: z.boolean() }),
});

export const tableDefinition = tableSchema.parse(definition);

/**
 * Creates the table (and turns on TTL) when it does not exist. For DynamoDB Local at start-up;
 * in AWS the table belongs to serverless.yml. Safe to race: a concurrent creator just wins.
 */
export async function ensureTable(client: DynamoDBClient, table: string): Promise<void> {
  const { BillingMode, AttributeDefinitions, KeySchema, GlobalSecondaryIndexes, TimeToLiveSpecification } =
    tableDefinition;
  if (!(await tableExists(client, table))) {
    try {
      await client.send(
        new CreateTableCommand({
          TableName: table,
          BillingMode,
          AttributeDefinitions,
          KeySchema,
          GlobalSecondaryIndexes,
        }),
      );
    } catch (e) {
      if (!(e instanceof ResourceInUseException)) throw e;
    }
    await waitUntilTableExists({ client, maxWaitTime: 60, minDelay: 1, maxDelay: 2 }, { TableName: table });
  }
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

async function tableExists(client: DynamoDBClient, table: string): Promise<boolean> {
  try {
    await client.send(new DescribeTableCommand({ TableName: table }));
    return true;
  } catch (e) {
    if (e instanceof ResourceNotFoundException) return false;
    throw e;
  }
}
