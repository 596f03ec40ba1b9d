import type { Config } from '../config.ts';
import type { WorkerTuning } from '../core/completion-lease.ts';
import type { CoreDeps, StoreDeps } from '../core/deps.ts';
import type { Limits } from '../core/limits.ts';
import { notConfigured } from '../errors.ts';
import { createTokenVerifier, type TokenVerifier } from '../http/token-verifier.ts';
import { createLogger, type Logger } from '../logger.ts';
import type {
  Clock,
  CompletionTrigger,
  ContentDetector,
  CredentialIssuer,
  IdSource,
  ObjectStorage,
  UploadStore,
} from '../ports.ts';
import { randomIds, systemClock } from './ids.ts';
import { inProcessCompletions, type InProcessCompletions, streamTriggered } from './in-process-completions.ts';
import { memoUntilFailure } from './memo-until-failure.ts';
import type { WebhookTuning } from './webhook-deps.ts';

/**
 * How the runtime gets an adapter: built on first use from the configuration. A Lambda entry passes
 * the loaders its route needs (see route()), so its bundle carries no other adapter; the local stack
 * and tests pass ready instances instead.
 */
export type Loader<T> = (config: Config, log: Logger) => Promise<T>;
export type Provided<T> = T | Loader<T>;

export interface RuntimeParts {
  store?: Provided<UploadStore>;
  storage?: Provided<ObjectStorage>;
  issuer?: Provided<CredentialIssuer>;
  /** Content verification's detector; loaded only when VERIFY_CONTENT_TYPE is on. */
  detector?: Provided<ContentDetector>;
  clock?: Clock;
  ids?: IdSource;
  /** The process logger; request-scoped ones are its children. Default: JSON lines at LOG_LEVEL. */
  log?: Logger;
  /** Default: in-process workers for SQLite (no stream), nothing for DynamoDB (its stream starts them). */
  completions?: CompletionTrigger;
  worker?: Partial<WorkerTuning>;
  /** Webhook delivery's timeout and schedule (tests shorten them; default: 10 s and the configuration). */
  webhooks?: Partial<WebhookTuning>;
}

/** Who is asking: the function and its request (or Lambda invocation) id, on every log line. */
export interface Scope {
  fn: string;
  requestId: string;
}

/**
 * One value that owns every adapter of a process — the configuration, the store, the COS client,
 * the STS issuer, the token verifier, the completion trigger — each built once, lazily, and closed
 * together. Use cases get request-scoped deps from it whose logger already names the function and
 * the request, so no handler can forget them.
 */
export interface Runtime {
  readonly config: Config;
  readonly limits: Limits;
  readonly clock: Clock;
  readonly log: Logger;
  readonly webhookTuning: Partial<WebhookTuning> | undefined;
  /** Deps for a use case that never calls COS. */
  storeDeps(scope: Scope): Promise<StoreDeps>;
  /** Deps for one that does; a function without the COS loader gets a 500 that says so. */
  coreDeps(scope: Scope): Promise<CoreDeps>;
  /** StoreDeps plus the STS issuer (the credentials route). */
  issuerDeps(scope: Scope): Promise<StoreDeps & { issuer: CredentialIssuer }>;
  verifier(): TokenVerifier;
  /** Adds loaders this entry brings; adapters already present are kept. */
  provide(parts: Pick<RuntimeParts, 'store' | 'storage' | 'issuer' | 'detector'>): void;
  /**
   * The same runtime with some parts (or the configuration its limits come from) replaced: tests
   * swap one adapter, benchmarks lift a limit. Closing it closes nothing it shares.
   */
  with(parts: RuntimeParts & { config?: Config }): Runtime;
  close(): Promise<void>;
}

export const limitsFrom = (c: Config): Limits => ({
  maxUploadBytes: c.MAX_UPLOAD_BYTES,
  maxParts: c.MAX_PARTS,
  minPartBytes: c.MIN_PART_BYTES,
  defaultPartBytes: c.DEFAULT_PART_BYTES,
  singlePutMaxBytes: c.SINGLE_PUT_MAX_BYTES,
  allowedContentTypes: c.ALLOWED_CONTENT_TYPES,
  allowedStorageClasses: c.ALLOWED_STORAGE_CLASSES,
  trafficLimitBps: c.TRAFFIC_LIMIT_BPS ?? null,
  maxOpenUploadsPerOwner: c.MAX_OPEN_UPLOADS_PER_OWNER,
  urlExpiresSeconds: c.URL_EXPIRES_SECONDS,
  stsDurationSeconds: c.STS_DURATION_SECONDS,
  staleAfterSeconds: c.STALE_AFTER_SECONDS,
  uploadTtlSeconds: c.UPLOAD_TTL_SECONDS,
  keyPrefix: c.KEY_PREFIX,
  completeWaitSeconds: c.COMPLETE_WAIT_SECONDS,
  completeGraceSeconds: c.COMPLETE_GRACE_SECONDS,
  profiles: c.UPLOAD_PROFILES,
  verifyContentType: c.VERIFY_CONTENT_TYPE,
});

const isLoader = <T>(p: Provided<T>): p is Loader<T> => typeof p === 'function';

/** One adapter: what provides it, and the instance once built (memoized until a build fails). */
class Slot<T> {
  #source: Provided<T> | undefined;
  #get: (() => Promise<T>) | undefined;
  #built: T | undefined;
  readonly what: string;
  readonly config: Config;
  readonly log: Logger;

  constructor(what: string, source: Provided<T> | undefined, config: Config, log: Logger) {
    this.what = what;
    this.#source = source;
    this.config = config;
    this.log = log;
  }

  offer(p: Provided<T> | undefined): void {
    if (this.#source === undefined && p !== undefined) this.#source = p;
  }

  get(): Promise<T> {
    const source = this.#source;
    if (source === undefined) return Promise.reject(notConfigured(this.what));
    if (!this.#get) {
      const build = isLoader(source) ? () => source(this.config, this.log) : () => Promise.resolve(source);
      this.#get = memoUntilFailure(async () => (this.#built = await build()));
    }
    return this.#get();
  }

  /** Whether anything provides it (nothing is built to answer). */
  get offered(): boolean {
    return this.#source !== undefined;
  }

  /** The instance, if one was built or given; nothing is built to answer. */
  get built(): T | undefined {
    return this.#built ?? (this.#source !== undefined && !isLoader(this.#source) ? this.#source : undefined);
  }
}

interface Slots {
  store: Slot<UploadStore>;
  storage: Slot<ObjectStorage>;
  issuer: Slot<CredentialIssuer>;
  detector: Slot<ContentDetector>;
}

export function createRuntime(config: Config, parts: RuntimeParts = {}): Runtime {
  const log = parts.log ?? createLogger(config.LOG_LEVEL);
  return build(
    config,
    parts,
    log,
    {
      store: new Slot<UploadStore>('the upload store', parts.store, config, log),
      storage: new Slot<ObjectStorage>('object storage (COS) for this function', parts.storage, config, log),
      issuer: new Slot<CredentialIssuer>('issuing temporary credentials', parts.issuer, config, log),
      detector: new Slot<ContentDetector>('content detection', parts.detector, config, log),
    },
    true,
  );
}

function build(config: Config, parts: RuntimeParts, log: Logger, slots: Slots, owner: boolean): Runtime {
  const clock = parts.clock ?? systemClock;
  const ids = parts.ids ?? randomIds;
  const limits = limitsFrom(config);
  let verifier: TokenVerifier | undefined;

  const base = async (scope: Scope): Promise<StoreDeps> => ({
    store: await slots.store.get(),
    clock,
    ids,
    limits,
    log: log.child({ fn: scope.fn, requestId: scope.requestId }),
  });

  // Workers run on deps of their own (their logger names them), for as long as the process does.
  let inProcess: InProcessCompletions | undefined;
  let workerBase: CoreDeps | undefined;
  const completions = (): CompletionTrigger => {
    if (parts.completions) return parts.completions;
    if (config.UPLOADS_STORE !== 'sqlite') return streamTriggered;
    inProcess ??= inProcessCompletions(() => {
      if (!workerBase) throw new Error('completion worker started before its deps were built');
      return workerBase;
    });
    return inProcess;
  };

  const coreDeps = async (scope: Scope): Promise<CoreDeps> => {
    // Only where verification is on and the entry brings a detector (the ones that run completion).
    const detect = config.VERIFY_CONTENT_TYPE && slots.detector.offered;
    const [b, storage, detector] = await Promise.all([
      base(scope),
      slots.storage.get(),
      detect ? slots.detector.get() : undefined,
    ]);
    const deps: CoreDeps = { ...b, storage, completions: completions(), worker: parts.worker, detector };
    workerBase ??= { ...deps, log: log.child({ fn: 'complete-worker' }) };
    return deps;
  };

  return {
    config,
    limits,
    clock,
    log,
    webhookTuning: parts.webhooks,
    storeDeps: base,
    coreDeps,
    issuerDeps: async (scope) => {
      const [b, issuer] = await Promise.all([base(scope), slots.issuer.get()]);
      return { ...b, issuer };
    },
    verifier: () =>
      (verifier ??= createTokenVerifier({
        secret: config.AUTH_JWT_SECRET,
        jwksUrl: config.AUTH_JWKS_URL,
        issuer: config.AUTH_ISSUER,
        audience: config.AUTH_AUDIENCE,
        maxTokenAgeSeconds: config.AUTH_MAX_TOKEN_AGE_SECONDS,
      })),
    provide(more) {
      slots.store.offer(more.store);
      slots.storage.offer(more.storage);
      slots.issuer.offer(more.issuer);
      slots.detector.offer(more.detector);
    },
    with(over) {
      const replaced = (k: keyof Slots, what: string): Slot<never> =>
        (over[k] === undefined ? slots[k] : new Slot(what, over[k], config, log)) as Slot<never>;
      return build(
        over.config ?? config,
        { ...parts, ...over },
        over.log ?? log,
        {
          store: replaced('store', 'the upload store'),
          storage: replaced('storage', 'object storage (COS) for this function'),
          issuer: replaced('issuer', 'issuing temporary credentials'),
          detector: replaced('detector', 'content detection'),
        },
        false,
      );
    },
    async close() {
      await inProcess?.close();
      // The runtime owns its adapters: the store (a database handle, a client) closes with it.
      if (owner) await slots.store.built?.close();
    },
  };
}
