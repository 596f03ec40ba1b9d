import { deliverDue, type WebhookDeps } from '../core/deliver-event.ts';

export interface WebhookPoller {
  /** Stops polling and waits for the attempts in flight (each bounded by the sender's timeout). */
  close(): Promise<void>;
}

/**
 * Reads the outbox's due events and delivers them, again and again: locally the one deliverer on
 * SQLite (whose transitions write the outbox), and on DynamoDB Local the stand-in for the retry
 * schedule (functions/deliver-due-events.ts). A process killed mid-attempt leaves the attempt
 * claimed until its claim runs out; the next poller, in this process or a fresh one, sends it then.
 */
export function startWebhookPoller(
  deps: WebhookDeps,
  opts: { pollMs?: number; limit?: number; concurrency?: number } = {},
): WebhookPoller {
  const pollMs = opts.pollMs ?? 250;
  let closed = false;
  let wake: (() => void) | undefined;
  const loop = (async () => {
    while (!closed) {
      let outcomes: unknown[] = [];
      try {
        outcomes = await deliverDue(deps, { limit: opts.limit ?? 100, concurrency: opts.concurrency ?? 16 });
      } catch (e) {
        if (closed) break;
        deps.log.warn('webhook poll failed', { error: e instanceof Error ? e.message : String(e) });
      }
      // A full page may have more behind it: go again at once.
      if (closed || outcomes.length >= (opts.limit ?? 100)) continue;
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, pollMs);
        wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
    }
  })();
  return {
    async close() {
      closed = true;
      wake?.();
      await loop;
    },
  };
}
