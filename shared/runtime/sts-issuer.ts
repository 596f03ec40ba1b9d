import type { Config } from '../config.ts';
import type { Logger } from '../logger.ts';
import type { CredentialIssuer } from '../ports.ts';
import { systemClock } from './ids.ts';

/**
 * Tencent STS behind the per-process cache, for the credentials route only: its bundle alone
 * carries the STS SDK (loaded on first use).
 */
export async function stsIssuer(c: Config, log: Logger): Promise<CredentialIssuer> {
  const { configuredIssuer } = await import('../sts/configured-issuer.ts');
  return configuredIssuer(c, systemClock, log);
}
