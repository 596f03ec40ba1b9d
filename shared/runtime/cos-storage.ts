import type { Config } from '../config.ts';
import { cosEndpoint } from '../config.ts';
import type { Logger } from '../logger.ts';
import type { ObjectStorage } from '../ports.ts';

/**
 * The COS client, for the routes that call COS: they pass this loader to route(), so only their
 * bundles carry the client and its XML parser. Its retries are logged on the process logger.
 */
export async function cosStorage(c: Config, log: Logger): Promise<ObjectStorage> {
  const { CosObjectStorage } = await import('../cos/cos-object-storage.ts');
  const cosLog = log.child({ component: 'cos' });
  return new CosObjectStorage({
    endpoint: cosEndpoint(c),
    bucket: c.COS_BUCKET,
    region: c.COS_REGION,
    secretId: c.COS_SECRET_ID,
    secretKey: c.COS_SECRET_KEY,
    sessionToken: c.COS_SESSION_TOKEN,
    retry: { attemptTimeoutMs: c.COS_TIMEOUT_MS, budgetMs: c.COS_RETRY_BUDGET_MS },
    log: (line) => cosLog.warn(String(line.msg ?? 'cos'), line),
  });
}
