import { type Config, config, cosEndpoint } from '../config.ts';
import type { CoreDeps } from '../core/deps.ts';
import type { Limits } from '../core/limits.ts';
import { createLogger } from '../logger.ts';
import type { ObjectStorage, UploadStore } from '../ports.ts';
import { randomIds, systemClock } from './ids.ts';

export const limitsFrom = (c: Config): Limits => ({
  maxUploadBytes: c.MAX_UPLOAD_BYTES,
  maxParts: c.MAX_PARTS,
  minPartBytes: c.MIN_PART_BYTES,
  defaultPartBytes: c.DEFAULT_PART_BYTES,
  singlePutMaxBytes: c.SINGLE_PUT_MAX_BYTES,
  allowedContentTypes: c.ALLOWED_CONTENT_TYPES,
  maxOpenUploadsPerOwner: c.MAX_OPEN_UPLOADS_PER_OWNER,
  urlExpiresSeconds: c.URL_EXPIRES_SECONDS,
  stsDurationSeconds: c.STS_DURATION_SECONDS,
  staleAfterSeconds: c.STALE_AFTER_SECONDS,
  uploadTtlSeconds: c.UPLOAD_TTL_SECONDS,
  keyPrefix: c.KEY_PREFIX,
});

/** The configured store. Adapters load lazily so a bundle pays only for the one it uses at run time. */
export async function storeFrom(c: Config): Promise<UploadStore> {
  if (c.UPLOADS_STORE === 'sqlite') {
    const { openSqliteStore } = await import('../store/sqlite-store.ts');
    return openSqliteStore(c.DATA_DIR);
  }
  const { createDynamoDbStore, ensureTable } = await import('../store/dynamodb-store.ts');
  const store = createDynamoDbStore({ table: c.UPLOADS_TABLE, endpoint: c.DYNAMODB_ENDPOINT });
  // Only against a local endpoint: in AWS the table is serverless.yml's, never created at run time.
  if (c.DYNAMODB_ENDPOINT) await ensureTable(store.client, c.UPLOADS_TABLE);
  return store;
}

export async function storageFrom(c: Config): Promise<ObjectStorage> {
  const { CosObjectStorage } = await import('../cos/cos-object-storage.ts');
  return new CosObjectStorage({
    endpoint: cosEndpoint(c),
    bucket: c.COS_BUCKET,
    region: c.COS_REGION,
    secretId: c.COS_SECRET_ID,
    secretKey: c.COS_SECRET_KEY,
    sessionToken: c.COS_SESSION_TOKEN,
    retry: { attemptTimeoutMs: c.COS_TIMEOUT_MS, budgetMs: c.COS_RETRY_BUDGET_MS },
  });
}

let current: Promise<CoreDeps> | undefined;

/** Built once per process (Lambda init, or the local server), shared by every handler. */
export function coreDeps(): Promise<CoreDeps> {
  current ??= (async () => {
    const c = config();
    const [store, storage] = await Promise.all([storeFrom(c), storageFrom(c)]);
    return {
      store,
      storage,
      clock: systemClock,
      ids: randomIds,
      limits: limitsFrom(c),
      log: createLogger(c.LOG_LEVEL),
    };
  })();
  current.catch(() => {
    current = undefined; // a failed init (e.g. table not reachable) is retried by the next request
  });
  return current;
}

/** The local runtime and tests install explicitly built deps (their own clock, store, storage). */
export function setCoreDeps(deps: CoreDeps | undefined): void {
  current = deps ? Promise.resolve(deps) : undefined;
}
