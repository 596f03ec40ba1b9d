import type { Config } from '../config.ts';
import type { WebhookDeps } from '../core/deliver-event.ts';
import type { Logger } from '../logger.ts';
import type { Clock, EventStore } from '../ports.ts';
import { httpWebhookSender, WEBHOOK_TIMEOUT_MS } from '../webhooks/http-sender.ts';

/** What tests shorten: the per-attempt timeout, and the retry schedule in ms (instead of the config's seconds). */
export interface WebhookTuning {
  timeoutMs: number;
  retryBaseMs: number;
  maxAgeMs: number;
}

/** An attempt's claim outlives its timeout by this, so a slow answer is never claimed twice. */
const CLAIM_MARGIN_MS = 5_000;

/** The deliverer's deps from the configuration; null when no WEBHOOK_URL is set. */
export function webhookDeps(
  config: Config,
  parts: { events: EventStore; clock: Clock; log: Logger; tuning?: Partial<WebhookTuning> },
): WebhookDeps | null {
  if (!config.WEBHOOK_URL || !config.WEBHOOK_SECRET) return null;
  const timeoutMs = parts.tuning?.timeoutMs ?? WEBHOOK_TIMEOUT_MS;
  return {
    events: parts.events,
    sender: httpWebhookSender({ url: config.WEBHOOK_URL, secret: config.WEBHOOK_SECRET, timeoutMs }),
    clock: parts.clock,
    log: parts.log,
    schedule: {
      retryBaseMs: parts.tuning?.retryBaseMs ?? config.WEBHOOK_RETRY_BASE_SECONDS * 1000,
      maxAgeMs: parts.tuning?.maxAgeMs ?? config.WEBHOOK_MAX_AGE_SECONDS * 1000,
    },
    claimMs: timeoutMs + CLAIM_MARGIN_MS,
  };
}
