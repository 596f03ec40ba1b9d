/**
 * Stands in for shared/store/sqlite-store.ts in the Lambda bundles only (build/bundle.ts). SQLite
 * is the local store (`npm start`); a deployed function's store is DynamoDB (serverless.yml sets
 * UPLOADS_STORE=dynamodb), so the SQLite adapter, its outbox and its idempotency table are dead
 * weight in every zip. A function configured with UPLOADS_STORE=sqlite says so at its first
 * request instead of writing to a Lambda's throwaway disk.
 */
export function openSqliteStore(): never {
  throw new Error('UPLOADS_STORE=sqlite is the local store: a deployed function uses dynamodb');
}
