import { type Config, config } from '../config.ts';
import type { CoreDeps, StoreDeps } from '../core/deps.ts';
import type { Limits } from '../core/limits.ts';
import { createLogger } from '../logger.ts';
import type { UploadStore } from '../ports.ts';
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
  completeWaitSeconds: c.COMPLETE_WAIT_SECONDS,
  completeGraceSeconds: c.COMPLETE_GRACE_SECONDS,
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

/**
 * Memoized until it fails: a failed build (e.g. table not reachable) is retried by the next
 * request instead of poisoning the process.
 */
export function memoUntilFailure<T>(build: () => Promise<T>): () => Promise<T> {
  let current: Promise<T> | undefined;
  return () => {
    if (current) return current;
    const p = build();
    current = p;
    p.catch(() => {
      if (current === p) current = undefined;
    });
    return p;
  };
}

let installed: CoreDeps | undefined;
let built = memoUntilFailure(buildStoreDeps);

async function buildStoreDeps(): Promise<StoreDeps> {
  const c = config();
  return {
    store: await storeFrom(c),
    clock: systemClock,
    ids: randomIds,
    limits: limitsFrom(c),
    log: createLogger(c.LOG_LEVEL),
  };
}

/**
 * Everything but COS, built once per process (Lambda init, or the local server). The routes that
 * never call COS take only this: its module graph reaches no COS client (see core-deps.ts).
 */
export function storeDeps(): Promise<StoreDeps> {
  return installed ? Promise.resolve(installed) : built();
}

/** The deps the local runtime or a test installed, if any; coreDeps() answers with them too. */
export function installedCoreDeps(): CoreDeps | undefined {
  return installed;
}

const resets: (() => void)[] = [];

/** Lets a module that memoizes more deps (core-deps.ts, the COS client) forget them with these. */
export function onDepsReset(reset: () => void): void {
  resets.push(reset);
}

/**
 * The local runtime and tests install explicitly built deps (their own clock, store, storage);
 * installing or clearing them also forgets every dep built from the environment so far.
 */
export function setCoreDeps(deps: CoreDeps | undefined): void {
  installed = deps;
  built = memoUntilFailure(buildStoreDeps);
  for (const reset of resets) reset();
}
