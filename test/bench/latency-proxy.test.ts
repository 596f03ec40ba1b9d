import { createServer, connect, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startLatencyProxy } from '../../bench/lib/latency-proxy.ts';

let closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of closers.reverse()) await c();
  closers = [];
});

/** An echo server: answers every byte it gets, as it gets it. */
async function echo(): Promise<number> {
  const server: Server = createServer((s) => s.pipe(s));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  closers.push(() => new Promise<void>((r) => server.close(() => r())));
  return (server.address() as { port: number }).port;
}

/** Sends `bytes` through the proxy and collects the echo until `bytes.length` came back. */
function roundTrip(port: number, bytes: Buffer): Promise<{ back: Buffer; firstByteMs: number }> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port });
    const chunks: Buffer[] = [];
    let got = 0;
    let sentAt = 0;
    let firstByteMs = -1;
    s.on('connect', () => {
      sentAt = performance.now();
      // In pieces, so ordering across chunks is exercised too.
      for (let at = 0; at < bytes.length; at += 7919) s.write(bytes.subarray(at, at + 7919));
    });
    s.on('data', (d: Buffer) => {
      if (firstByteMs < 0) firstByteMs = performance.now() - sentAt;
      chunks.push(d);
      got += d.length;
      if (got >= bytes.length) {
        s.end();
        resolve({ back: Buffer.concat(chunks), firstByteMs });
      }
    });
    s.on('error', reject);
  });
}

describe('latency proxy (bench/lib/latency-proxy.ts)', () => {
  it('passes bytes unchanged and in order, both ways', async () => {
    const proxy = await startLatencyProxy(await echo(), 5);
    closers.push(proxy.close);
    const bytes = Buffer.from(Array.from({ length: 300_000 }, (_, i) => (i * 31 + (i >> 8)) & 0xff));
    const { back } = await roundTrip(proxy.port, bytes);
    expect(back.equals(bytes)).toBe(true);
    expect(proxy.connections()).toBe(1);
  });

  it('delays each direction: the first echoed byte arrives no sooner than two delays', async () => {
    const proxy = await startLatencyProxy(await echo(), 40);
    closers.push(proxy.close);
    const { back, firstByteMs } = await roundTrip(proxy.port, Buffer.from('ping'));
    expect(back.toString()).toBe('ping');
    // A lower bound only (a loaded machine may be late, never much early): 2 × 40 ms, less ms rounding.
    expect(firstByteMs).toBeGreaterThanOrEqual(75);
  });
});
