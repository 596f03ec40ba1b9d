import { type Config, config, cosEndpoint } from '../config.ts';
import type { CoreDeps } from '../core/deps.ts';
import type { CompletionTrigger, ObjectStorage } from '../ports.ts';
import { inProcessCompletions, streamTriggered } from './in-process-completions.ts';
import { installedCoreDeps, memoUntilFailure, onDepsReset, storeDeps } from './store-deps.ts';

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

const memoStorage = () => memoUntilFailure(() => storageFrom(config()));
let storage = memoStorage();
onDepsReset(() => {
  storage = memoStorage();
});

let completions: CompletionTrigger | undefined;
onDepsReset(() => {
  completions = undefined;
});

/**
 * storeDeps() plus the COS client and the completion trigger, for the routes that call COS. Built
 * once per process. With DynamoDB the table's stream starts completion workers (serverless.yml);
 * with SQLite, which has no stream, they run in this process.
 */
export async function coreDeps(): Promise<CoreDeps> {
  const installed = installedCoreDeps();
  if (installed) return installed;
  const [base, cos] = await Promise.all([storeDeps(), storage()]);
  const deps: CoreDeps = { ...base, storage: cos, completions: streamTriggered };
  if (config().UPLOADS_STORE === 'sqlite') {
    completions ??= inProcessCompletions(() => deps);
    deps.completions = completions;
  }
  return deps;
}
