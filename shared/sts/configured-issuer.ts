import type { Config } from '../config.ts';
import type { Logger } from '../logger.ts';
import type { Clock, CredentialIssuer } from '../ports.ts';
import { cachingIssuer } from './caching-issuer.ts';
import { tencentStsIssuer } from './tencent-sts-issuer.ts';

/**
 * The product's issuer: Tencent STS with the server's own key pair, behind the per-process cache.
 * Loaded only by the credentials route's loader (shared/runtime/sts-issuer.ts) and the local stack.
 */
export function configuredIssuer(c: Config, clock: Clock, log?: Logger): CredentialIssuer {
  const now = () => clock.now().getTime();
  const sts = tencentStsIssuer({
    secretId: c.COS_SECRET_ID,
    secretKey: c.COS_SECRET_KEY,
    sessionToken: c.COS_SESSION_TOKEN,
    endpoint: c.STS_ENDPOINT,
    region: c.STS_REGION ?? c.COS_REGION,
    roleArn: c.STS_ROLE_ARN,
    now,
    log: log ? (fields) => log.warn('sts retry', fields) : undefined,
  });
  return cachingIssuer(sts, { now });
}
