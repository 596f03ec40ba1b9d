import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

/** A fixed test secret in the `whsec_<base64>` form (24 random-looking bytes). */
export const TEST_WEBHOOK_SECRET = 'whsec_' + Buffer.from('test-webhook-secret-0123').toString('base64');

export interface Delivery {
  id: string;
  timestamp: string;
  signature: string;
  /** The body `Webhook.verify` accepted (every recorded delivery was verified, or the test fails). */
  payload: {
    type: string;
    timestamp: string;
    data: { upload: { id: string; state: string } & Record<string, unknown> };
  };
  /** How this receiver answered it. */
  answered: number | 'hang';
}

/** What the receiver does with one delivery: a status, or never answering. */
export type Behaviour = (d: { id: string; type: string; uploadId: string; attempt: number }) => number | 'hang';

/**
 * A real webhook receiver on 127.0.0.1: node:http, every request verified with the
 * `standardwebhooks` package's `Webhook.verify` against the secret. A request that fails
 * verification is recorded in `rejected` (and answered 400), so a test can assert there were none.
 */
export async function startWebhookReceiver(secret = TEST_WEBHOOK_SECRET) {
  const verifier = new Webhook(secret);
  const deliveries: Delivery[] = [];
  const rejected: { headers: IncomingHttpHeaders; error: string }[] = [];
  const hanging = new Set<ServerResponse>();
  const attempts = new Map<string, number>();
  let behaviour: Behaviour = () => 204;
  const waiters = new Set<() => void>();

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      let payload: Delivery['payload'];
      try {
        payload = verifier.verify(body, req.headers as Record<string, string>) as Delivery['payload'];
      } catch (e) {
        rejected.push({ headers: req.headers, error: String(e) });
        res.writeHead(400).end();
        return;
      }
      const id = String(req.headers['webhook-id']);
      const attempt = (attempts.get(id) ?? 0) + 1;
      attempts.set(id, attempt);
      const answered = behaviour({ id, type: payload.type, uploadId: payload.data.upload.id, attempt });
      deliveries.push({
        id,
        timestamp: String(req.headers['webhook-timestamp']),
        signature: String(req.headers['webhook-signature']),
        payload,
        answered,
      });
      for (const w of [...waiters]) w();
      if (answered === 'hang') {
        hanging.add(res);
        res.on('close', () => hanging.delete(res));
        return;
      }
      res.writeHead(answered).end();
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}/hooks`,
    deliveries,
    rejected,
    /** Deliveries this receiver answered with a 2xx. */
    accepted: () => deliveries.filter((d) => typeof d.answered === 'number' && d.answered < 300),
    behave(b: Behaviour) {
      behaviour = b;
    },
    /** Resolves once `predicate` holds over the deliveries (checked on every new one), or rejects after `ms`. */
    async waitFor(predicate: (ds: readonly Delivery[]) => boolean, ms = 20_000): Promise<void> {
      if (predicate(deliveries)) return;
      await new Promise<void>((resolve, reject) => {
        const check = () => {
          if (!predicate(deliveries)) return;
          clearTimeout(t);
          waiters.delete(check);
          resolve();
        };
        const t = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`webhook receiver: condition not met within ${ms} ms (${deliveries.length} deliveries)`));
        }, ms);
        waiters.add(check);
      });
    },
    async close() {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      server.close();
      await once(server, 'close').catch(() => undefined);
    },
  };
}
export type WebhookReceiver = Awaited<ReturnType<typeof startWebhookReceiver>>;
