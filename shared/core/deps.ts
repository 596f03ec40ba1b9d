import type { Logger } from '../logger.ts';
import type {
  Clock,
  CompletionTrigger,
  ContentDetector,
  CredentialIssuer,
  IdSource,
  ObjectStorage,
  UploadStore,
} from '../ports.ts';
import type { WorkerTuning } from './completion-lease.ts';
import type { Limits } from './limits.ts';

/** What a use case may touch: ports only, so tests fix time and ids and swap adapters. */
export interface CoreDeps {
  store: UploadStore;
  storage: ObjectStorage;
  clock: Clock;
  ids: IdSource;
  limits: Limits;
  log: Logger;
  /** Starts a completion worker for an upload that entered `completing` (no-op where a stream does). */
  completions: CompletionTrigger;
  /** Lease, budget and polling of completion workers; defaults suit Lambda (completion-lease.ts). */
  worker?: Partial<WorkerTuning>;
  /**
   * Temporary keys for the credentials route. Absent from the Lambda deps: functions/credentials.ts
   * supplies it, so no other function's bundle carries the STS SDK. The local stack sets its own.
   */
  issuer?: CredentialIssuer;
  /** Content verification's detector: present where VERIFY_CONTENT_TYPE is on and completion runs. */
  detector?: ContentDetector;
}

/**
 * What a use case that never calls COS takes. The functions serving only those (get-upload,
 * record-parts, credentials, admin-list-uploads) build these, so their bundles carry no COS client
 * and no XML parser.
 */
export type StoreDeps = Omit<CoreDeps, 'storage' | 'completions' | 'worker' | 'detector'>;
