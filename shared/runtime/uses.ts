import type { CoreDeps, StoreDeps } from '../core/deps.ts';
import type { ContentDetector, CredentialIssuer, ObjectStorage, UploadStore } from '../ports.ts';
import type { Loader, Runtime, Scope } from './runtime.ts';

/**
 * The adapters an entry's use case needs beyond the store, as loaders: only the bundles whose
 * entries name them carry the COS client or the STS SDK.
 */
export interface Uses {
  /** Absent: the entry reads no upload (limits, the OpenAPI document): no store, none in its bundle. */
  store?: Loader<UploadStore>;
  storage?: Loader<ObjectStorage>;
  issuer?: Loader<CredentialIssuer>;
  /** The entries that run the completion worker (content verification). */
  detector?: Loader<ContentDetector>;
}

/** What a route that touches no store still gets: the limits, the clock and its logger. */
export type NoStoreDeps = Pick<StoreDeps, 'limits' | 'clock' | 'log'>;

/** The deps an entry's handler gets, request-scoped: its logger names the function and the request. */
export type DepsFor<U extends Uses> = U extends { storage: Loader<ObjectStorage> }
  ? CoreDeps
  : U extends { issuer: Loader<CredentialIssuer> }
    ? StoreDeps & { issuer: CredentialIssuer }
    : U extends { store: Loader<UploadStore> }
      ? StoreDeps
      : NoStoreDeps;

export async function depsFor<U extends Uses>(
  runtime: Runtime,
  uses: U | undefined,
  scope: Scope,
): Promise<DepsFor<U>> {
  if (uses?.storage) return (await runtime.coreDeps(scope)) as DepsFor<U>;
  if (uses?.issuer) return (await runtime.issuerDeps(scope)) as DepsFor<U>;
  if (uses?.store) return (await runtime.storeDeps(scope)) as DepsFor<U>;
  return { limits: runtime.limits, clock: runtime.clock, log: runtime.log.child({ ...scope }) } as DepsFor<U>;
}
