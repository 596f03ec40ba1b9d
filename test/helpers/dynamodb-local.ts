import { startDynamoDbLocal } from '../../local/dynamodb-local.ts';

/**
 * An in-memory DynamoDB Local on 127.0.0.1 and a free port, for one test file (start-up is ~1 s,
 * so start it in `beforeAll` and give each test its own table instead of its own process).
 */
export async function startTestDynamoDb(): Promise<{ endpoint: string; stop(): Promise<void> }> {
  const db = await startDynamoDbLocal({ port: 0 });
  return { endpoint: db.endpoint, stop: () => db.stop() };
}
