import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type Config, parseConfig } from '../shared/config.ts';
import type { WorkerTuning } from '../shared/core/completion-lease.ts';
import type { CoreDeps } from '../shared/core/deps.ts';
import { createLogger, type Logger } from '../shared/logger.ts';
import type { Clock, CredentialIssuer } from '../shared/ports.ts';
import { cosStorage } from '../shared/runtime/cos-storage.ts';
import { fileTypeDetector } from '../shared/content/file-type-detector.ts';
import { installRuntime } from '../shared/runtime/current.ts';
import { systemClock } from '../shared/runtime/ids.ts';
import { createRuntime, type Runtime } from '../shared/runtime/runtime.ts';
import { startWebhookPoller, type WebhookPoller } from '../shared/runtime/in-process-webhooks.ts';
import { storeFrom } from '../shared/runtime/store-from.ts';
import { webhookDeps, type WebhookTuning } from '../shared/runtime/webhook-deps.ts';
import { configuredIssuer } from '../shared/sts/configured-issuer.ts';
import { type StaticAsset, startApiServer } from './api-server.ts';
import { LOCAL_BUCKET, LOCAL_REGION, LOCAL_SECRET_ID, LOCAL_SECRET_KEY } from './cos/defaults.ts';
import { type CosEmulator, startCosEmulator } from './cos/server.ts';
import { LOCAL_JWT_SECRET, mintToken } from './dev-auth.ts';
import { handler as deliverEvents } from '../functions/deliver-events.ts';
import {
  type DynamoDbStreamTrigger,
  EVENT_FILTERS,
  type StreamTriggerOptions,
  startDynamoDbStreamTrigger,
} from './dynamodb-stream-trigger.ts';
import { ROUTES, type RouteEntry } from './routes.ts';
import { webAssets } from './web-assets.ts';

export interface LocalStackOptions {
  dataDir: string;
  /** 0 = a free port. Defaults: PORT / COS_LOCAL_PORT from env, else 8787 / 8788. */
  port?: number;
  cosPort?: number;
  /** Configuration overrides (docs/API.md variables), on top of process.env and the local defaults. */
  env?: Record<string, string>;
  /** A controllable clock for the API (the emulator keeps real time unless `cosNow` is given). */
  clock?: Clock;
  cosNow?: () => number;
  /** Extra routes, and static assets (default: the web upload page at `/`). */
  routes?: readonly RouteEntry[];
  assets?: Record<string, StaticAsset>;
  quiet?: boolean;
  /** Where log lines go (default: JSON on stdout at LOG_LEVEL, none when quiet). */
  log?: Logger;
  /** Completion workers' lease, budget and polling (tests shorten them). */
  worker?: Partial<WorkerTuning>;
  /** DynamoDB only: the stream trigger's handler and timing (tests crash a worker through it). */
  streamTrigger?: Pick<StreamTriggerOptions, 'handler' | 'pollMs' | 'retryDelayMs'>;
  /**
   * Webhooks: the attempt timeout and retry schedule in ms, how often the outbox is polled (`poll:
   * false`: not at all, a test drives the retries through the deliver-due-events handler, as the
   * schedule does in AWS), and (DynamoDB) the events' stream handler.
   */
  webhooks?: Partial<WebhookTuning> & { pollMs?: number; poll?: false; handler?: StreamTriggerOptions['handler'] };
}

export interface LocalStack {
  apiUrl: string;
  cosUrl: string;
  bucketUrl: string;
  bucket: string;
  region: string;
  config: Config;
  emulator: CosEmulator;
  /** The runtime the API serves with (installed while the stack runs). */
  runtime: Runtime;
  /** Its adapters as one use case sees them (tests read the store, patch the COS client, start workers). */
  deps: CoreDeps;
  /** DynamoDB Local: what starts completion workers (null on SQLite, which runs them in-process). */
  streamTrigger: DynamoDbStreamTrigger | null;
  /** With WEBHOOK_URL on DynamoDB Local: what feeds deliver-events from the stream. */
  eventTrigger: DynamoDbStreamTrigger | null;
  token(sub: string, opts?: { admin?: boolean; expiresIn?: string }): Promise<string>;
  close(): Promise<void>;
}

/**
 * The whole product on one machine: the local COS + STS emulator, the SQLite (or DynamoDB Local)
 * store and the API server calling the same Lambda handlers. `npm start` and every integration
 * test run exactly this.
 */
export async function startLocalStack(opts: LocalStackOptions): Promise<LocalStack> {
  const dataDir = resolve(opts.dataDir);
  mkdirSync(dataDir, { recursive: true });
  const base = { ...process.env, ...opts.env };
  const emulator = await startCosEmulator({
    port: opts.cosPort ?? Number(base.COS_LOCAL_PORT ?? 8788),
    dataDir: join(dataDir, 'cos'),
    secretId: base.COS_SECRET_ID || LOCAL_SECRET_ID,
    secretKey: base.COS_SECRET_KEY || LOCAL_SECRET_KEY,
    bucket: base.COS_BUCKET || LOCAL_BUCKET,
    region: base.COS_REGION || LOCAL_REGION,
    now: opts.cosNow,
    log: opts.quiet ? () => undefined : undefined,
  });

  const env: Record<string, string | undefined> = {
    UPLOADS_STORE: 'sqlite',
    ...(opts.quiet ? { LOG_LEVEL: 'silent' } : {}),
    AUTH_JWT_SECRET: LOCAL_JWT_SECRET,
    COS_SECRET_ID: LOCAL_SECRET_ID,
    COS_SECRET_KEY: LOCAL_SECRET_KEY,
    ...base,
    DATA_DIR: dataDir,
    COS_ENDPOINT: emulator.bucketUrl,
    STS_ENDPOINT: `127.0.0.1:${emulator.port}`,
    COS_LOCAL_PORT: String(emulator.port),
  };
  let config: Config;
  try {
    config = parseConfig(env);
  } catch (e) {
    await emulator.close();
    throw e;
  }
  const clock = opts.clock ?? systemClock;
  const log = opts.log ?? createLogger(opts.quiet ? 'silent' : config.LOG_LEVEL);
  const [store, storage] = await Promise.all([storeFrom(config, log), cosStorage(config, log)]);
  // This stack's own issuer (its clock, a fresh cache), pointed at this emulator's STS. The runtime
  // then owns every adapter; on SQLite it also runs completion workers in this process (no stream),
  // on DynamoDB the table's stream starts them, as in AWS (the trigger below).
  const issuer: CredentialIssuer = configuredIssuer(config, clock, log);
  const detector = fileTypeDetector();
  const runtime = createRuntime(config, {
    store,
    storage,
    issuer,
    detector,
    clock,
    log,
    worker: opts.worker,
    webhooks: opts.webhooks,
  });
  installRuntime(runtime);
  const deps: CoreDeps = { ...(await runtime.coreDeps({ fn: 'local', requestId: 'local' })), issuer };
  const streamTrigger =
    config.UPLOADS_STORE === 'dynamodb' && config.DYNAMODB_ENDPOINT
      ? await startDynamoDbStreamTrigger({
          endpoint: config.DYNAMODB_ENDPOINT,
          table: config.UPLOADS_TABLE,
          log,
          ...opts.streamTrigger,
        })
      : null;
  // Webhooks: on SQLite the transitions write the outbox and this poller delivers it; on DynamoDB
  // the stream feeds deliver-events (from the horizon: this poller keeps no checkpoint, the EVENT
  // items de-duplicate) and the poller is the retry schedule (functions/deliver-due-events.ts).
  const webhooks = webhookDeps(config, {
    events: store.events,
    clock,
    log: log.child({ fn: 'deliver-events' }),
    tuning: opts.webhooks,
  });
  const eventTrigger =
    webhooks && config.UPLOADS_STORE === 'dynamodb' && config.DYNAMODB_ENDPOINT
      ? await startDynamoDbStreamTrigger({
          endpoint: config.DYNAMODB_ENDPOINT,
          table: config.UPLOADS_TABLE,
          log,
          handler: opts.webhooks?.handler ?? deliverEvents,
          filters: EVENT_FILTERS,
          startAt: 'TRIM_HORIZON',
          pollMs: opts.streamTrigger?.pollMs,
        })
      : null;
  const poller: WebhookPoller | null =
    webhooks && opts.webhooks?.poll !== false ? startWebhookPoller(webhooks, { pollMs: opts.webhooks?.pollMs }) : null;

  const api = await startApiServer({
    port: opts.port ?? Number(base.PORT ?? 8787),
    routes: [...ROUTES, ...(opts.routes ?? [])],
    assets: opts.assets ?? webAssets(),
  });
  return {
    apiUrl: api.url,
    cosUrl: emulator.url,
    bucketUrl: emulator.bucketUrl,
    bucket: config.COS_BUCKET,
    region: config.COS_REGION,
    config,
    emulator,
    runtime,
    deps,
    streamTrigger,
    eventTrigger,
    token: (sub, t = {}) =>
      mintToken({
        secret: config.AUTH_JWT_SECRET ?? LOCAL_JWT_SECRET,
        sub,
        ...t,
        issuer: config.AUTH_ISSUER,
        audience: config.AUTH_AUDIENCE,
      }),
    close: async () => {
      await api.close();
      await streamTrigger?.close();
      await eventTrigger?.close();
      await poller?.close();
      installRuntime(undefined);
      await runtime.close();
      await emulator.close();
    },
  };
}
