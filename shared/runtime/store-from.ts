import { type Config, recordedEvents } from '../config.ts';
import type { Logger } from '../logger.ts';
import type { UploadStore } from '../ports.ts';

/** The configured store. Adapters load lazily so a bundle pays only for the one it uses at run time. */
export async function storeFrom(c: Config, log?: Logger): Promise<UploadStore> {
  if (c.UPLOADS_STORE === 'sqlite') {
    const { openSqliteStore } = await import('../store/sqlite-store.ts');
    return openSqliteStore(c.DATA_DIR, recordedEvents(c));
  }
  const { createDynamoDbStore, ensureTable } = await import('../store/dynamodb-store.ts');
  // The SDK's own retries, one line each (the request being served is on it: log-context.ts).
  const storeLog = log?.child({ component: 'dynamodb' });
  const store = createDynamoDbStore({
    table: c.UPLOADS_TABLE,
    endpoint: c.DYNAMODB_ENDPOINT,
    log: storeLog && (({ msg, ...fields }) => storeLog.warn(String(msg), fields)),
  });
  // Only against a local endpoint: in AWS the table is serverless.yml's, never created at run time.
  if (c.DYNAMODB_ENDPOINT) await ensureTable(store.client, c.UPLOADS_TABLE);
  return store;
}
