import type { Logger } from '../logger.ts';
import type { Clock, CredentialIssuer, IdSource, ObjectStorage, UploadStore } from '../ports.ts';
import type { Limits } from './limits.ts';

/** What a use case may touch: ports only, so tests fix time and ids and swap adapters. */
export interface CoreDeps {
  store: UploadStore;
  storage: ObjectStorage;
  clock: Clock;
  ids: IdSource;
  limits: Limits;
  log: Logger;
  /** Temporary keys for the credentials route; optional so every other deps builder may leave it out. */
  issuer?: CredentialIssuer;
}
