/**
 * A loopback TCP proxy that delays every byte by a fixed time in each direction, so a 50 ms round
 * trip (25 ms each way) can sit between a client and the local stack. It knows nothing of HTTP:
 * bytes pass unchanged and in order; each chunk leaves `delayMs` after it arrived. Only the data
 * is delayed — connection set-up is not (a real link would add a round trip per new connection,
 * and TLS more; keep-alive hides both after the first request).
 */
import { createServer, type Server, type Socket, connect } from 'node:net';

export interface LatencyProxy {
  /** `http://127.0.0.1:<port>` of the proxy. */
  url: string;
  port: number;
  /** Connections accepted so far. */
  connections(): number;
  close(): Promise<void>;
}

/**
 * Sends what `from` emits to `to`, each chunk `delayMs` late; ends and errors follow in turn. One
 * FIFO and one timer per direction: timers of different durations are not ordered among
 * themselves, and two chunks swapped would be a corrupt HTTP stream.
 */
function delayedPipe(from: Socket, to: Socket, delayMs: number): void {
  const queue: { at: number; run: () => void }[] = [];
  let timer: ReturnType<typeof setTimeout> | null = null;
  const drain = () => {
    timer = null;
    const now = Date.now();
    while (queue.length > 0 && queue[0]!.at <= now) queue.shift()!.run();
    if (queue.length > 0) timer = setTimeout(drain, queue[0]!.at - now);
  };
  const later = (run: () => void) => {
    queue.push({ at: Date.now() + delayMs, run });
    timer ??= setTimeout(drain, delayMs);
  };
  from.on('data', (chunk: Buffer) => later(() => to.writable && to.write(chunk)));
  from.on('end', () => later(() => to.end()));
  from.on('error', () => later(() => to.destroy()));
  from.on('close', () => later(() => to.destroy()));
}

/** Starts a proxy on a free loopback port forwarding to `127.0.0.1:targetPort`. */
export async function startLatencyProxy(targetPort: number, delayMs: number): Promise<LatencyProxy> {
  let count = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    count++;
    const upstream = connect({ host: '127.0.0.1', port: targetPort });
    for (const s of [client, upstream]) {
      s.setNoDelay(true);
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    }
    delayedPipe(client, upstream, delayMs);
    delayedPipe(upstream, client, delayMs);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    connections: () => count,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
