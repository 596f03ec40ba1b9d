import { Webhook } from 'standardwebhooks';
import type { WebhookSender } from '../ports.ts';

/** docs/API.md, Events: an attempt with no 2xx within this is a failure. */
export const WEBHOOK_TIMEOUT_MS = 10_000;

export interface HttpSenderOptions {
  url: string;
  /** `whsec_<base64>` (config.ts checks the form). */
  secret: string;
  /** Default 10 s; tests shorten it. */
  timeoutMs?: number;
}

/**
 * The signed POST of Standard Webhooks: `webhook-id`, `webhook-timestamp` (unix seconds) and
 * `webhook-signature: v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>">`, signed by the
 * `standardwebhooks` package itself so any receiver's library agrees with it. Redirects are not
 * followed (a 3xx is not a 2xx): a receiver that moved is a configuration error to see, not to chase.
 */
export function httpWebhookSender(opts: HttpSenderOptions): WebhookSender {
  const signer = new Webhook(opts.secret);
  const timeoutMs = opts.timeoutMs ?? WEBHOOK_TIMEOUT_MS;
  return {
    async send({ id, timestamp, body }) {
      let res: Response;
      try {
        res = await fetch(opts.url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'user-agent': 'cos-upload-coordinator-webhooks',
            'webhook-id': id,
            'webhook-timestamp': String(Math.floor(timestamp.getTime() / 1000)),
            'webhook-signature': signer.sign(id, timestamp, body),
          },
          body,
          redirect: 'manual',
          signal: AbortSignal.timeout(timeoutMs),
        });
      } catch (e) {
        const name = e instanceof Error ? e.name : '';
        if (name === 'TimeoutError') throw new Error(`no answer within ${timeoutMs} ms`, { cause: e });
        const cause = (e as { cause?: { code?: string; message?: string } }).cause;
        throw new Error(
          `request failed: ${cause?.code ?? cause?.message ?? (e instanceof Error ? e.message : String(e))}`,
          { cause: e },
        );
      }
      // The body is not read (nothing in it matters), but it is released so the socket is reused.
      await res.body?.cancel().catch(() => undefined);
      if (res.status < 200 || res.status > 299) throw new Error(`HTTP ${res.status}`);
    },
  };
}
