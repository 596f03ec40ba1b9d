import { mkdirSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { BlobStore } from './blob-store.ts';
import type { EmulatorContext } from './context.ts';
import { type CorsRule, compileCorsRules, DEFAULT_CORS_RULES } from './cors.ts';
import { dispatch } from './dispatch.ts';
import { type FaultInjector, Faults } from './faults.ts';
import { Merges } from './merges.ts';
import { MetaStore } from './meta-store.ts';

export type { CorsRule };

/**
 * The local COS + STS emulator: COS XML API (objects and multipart uploads) and Tencent STS on
 * one loopback port, strict about signatures, temporary-key policies and COS's multipart rules.
 * What it does, with the COS source of each rule: local/cos/README.md; test/emulator/ proves it with the official SDKs.
 */

export interface CosEmulatorOptions {
  port?: number;
  dataDir: string;
  secretId: string;
  secretKey: string;
  bucket: string;
  region: string;
  now?: () => number;
  log?: (line: object) => void;
  /**
   * The bucket's CORS rules, as PUT Bucket cors would set them (436/8279). Default: one rule for
   * loopback origins on any port (DEFAULT_CORS_RULES); `[]` = a bucket without CORS.
   */
  cors?: readonly CorsRule[];
}

export interface CosEmulator {
  url: string;
  port: number;
  bucketUrl: string;
  faults: FaultInjector;
  close(): Promise<void>;
}

const BUCKET_RE = /^[a-z0-9][a-z0-9-]*-\d+$/;

export async function startCosEmulator(opts: CosEmulatorOptions): Promise<CosEmulator> {
  if (!BUCKET_RE.test(opts.bucket))
    throw new Error(`bucket must be 'name-APPID' (e.g. uploads-1250000000), got '${opts.bucket}'`);
  if (!opts.secretId || !opts.secretKey) throw new Error('secretId and secretKey are required');
  if (!opts.region) throw new Error('region is required');
  const cors = compileCorsRules(opts.cors ?? DEFAULT_CORS_RULES);
  mkdirSync(opts.dataDir, { recursive: true });
  const store = new MetaStore(join(opts.dataDir, 'meta.sqlite'));
  const faults = new Faults();
  const blobs = new BlobStore(opts.dataDir);
  blobs.sweep(store.referencedBlobs());
  const ctx: EmulatorContext = {
    bucket: opts.bucket,
    region: opts.region,
    buckets: new Set([opts.bucket]),
    account: { secretId: opts.secretId, secretKey: opts.secretKey },
    store,
    blobs,
    faults,
    now: opts.now ?? Date.now,
    log: opts.log ?? (() => {}),
    merges: new Merges((ids) => blobs.remove(ids)),
    cors,
  };
  // No request timeout: a 5 GiB part may take long. Idle keep-alive is generous because test clients
  // block their event loop (hashing) and would otherwise reuse a socket the server just closed.
  const server = createServer({ requestTimeout: 0, keepAliveTimeout: 30_000 }, (req, res) => {
    void dispatch(req, res, ctx);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${port}`;
  let closed: Promise<void> | null = null;
  return {
    url,
    port,
    bucketUrl: `${url}/${opts.bucket}`,
    faults,
    close() {
      closed ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }).then(async () => {
        // Merges that already started finish — a slow one at once, without the rest of its wait —
        // so the store closes on a consistent state and close() never waits on a fault's timer.
        await ctx.merges.finishAll();
        store.close();
      });
      return closed;
    },
  };
}
