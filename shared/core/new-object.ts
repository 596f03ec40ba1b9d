import { contentTypeNotAllowed, tooManyOpenUploads, validationFailed } from '../errors.ts';
import type { IdempotencyFinish, ObjectHeaders, UploadRecord } from '../ports.ts';
import type { CoreDeps } from './deps.ts';
import { objectKey } from './keys.ts';
import type { Limits } from './limits.ts';
import { storageClassIssue } from './object-headers.ts';
import { contentTypeAllowedIn, type EffectiveLimits, resolveLimits } from './profiles.ts';

export const DEFAULT_CONTENT_TYPE = 'application/octet-stream';

/** What create and compose share: the object a new upload will make, and under which profile. */
export interface NewObjectInput {
  contentType?: string;
  metadata?: Record<string, string>;
  profile?: string;
  storageClass?: string;
  cacheControl?: string;
  contentDisposition?: string;
  contentEncoding?: string;
  contentLanguage?: string;
  expires?: string;
}

/** Every object header as the record stores it (null = not sent), so Initiate and the record agree. */
export type StoredObjectHeaders = Required<ObjectHeaders> & { storageClass: string };

export interface NewObject {
  /** The global limits with the profile's overrides applied. */
  limits: EffectiveLimits;
  headers: StoredObjectHeaders;
}

/**
 * The profile (unknown → 400), the content type against the global and the profile's allow-lists
 * (415), the storage class against the profile's (400), and the headers the server will send at
 * Initiate. No I/O: create and compose refuse bad input before any lookup or COS call.
 */
export function newObjectRules(input: NewObjectInput, globalLimits: Limits): NewObject {
  const limits = resolveLimits(globalLimits, input.profile);
  if (!limits) throw validationFailed([{ path: ['profile'], message: `unknown upload profile ${input.profile}` }]);
  const contentType = input.contentType ?? DEFAULT_CONTENT_TYPE;
  if (!contentTypeAllowedIn(contentType, globalLimits.allowedContentTypes, limits)) {
    throw contentTypeNotAllowed(contentType);
  }
  // Without one, the profile's default, else STANDARD when allowed, else the first allowed class.
  const storageClass = input.storageClass ?? limits.defaultStorageClass;
  const classProblem = storageClassIssue(storageClass, limits.allowedStorageClasses);
  if (classProblem) throw validationFailed([{ path: ['storageClass'], message: classProblem }]);
  return {
    limits,
    headers: {
      contentType,
      metadata: input.metadata ?? {},
      storageClass,
      cacheControl: input.cacheControl ?? null,
      contentDisposition: input.contentDisposition ?? null,
      contentEncoding: input.contentEncoding ?? null,
      contentLanguage: input.contentLanguage ?? null,
      expires: input.expires ?? null,
    },
  };
}

/** The key of a new upload: under the profile's key segment when it has one (docs/API.md, profiles). */
export function newObjectKey(limits: EffectiveLimits, owner: string, id: string, fileName: string): string {
  const prefix = limits.keySegment === null ? limits.keyPrefix : `${limits.keyPrefix}${limits.keySegment}/`;
  return objectKey(prefix, owner, id, fileName);
}

/**
 * The headers an upload's object was promised at create, for every later write of it by the server
 * (a fresh Initiate after a corrupt merge, an empty sealed append): the object never loses them.
 */
export const objectHeadersOf = (u: UploadRecord): StoredObjectHeaders => ({
  contentType: u.contentType,
  metadata: u.metadata,
  storageClass: u.storageClass,
  cacheControl: u.cacheControl,
  contentDisposition: u.contentDisposition,
  contentEncoding: u.contentEncoding,
  contentLanguage: u.contentLanguage,
  expires: u.expires,
});

/** How create and compose insert their new upload. */
export interface NewUploadOptions {
  /**
   * An Idempotency-Key's response, written with the upload (idempotency.ts). With it, compose does
   * not wait for the copies: the stored answer (202, the upload as accepted) is the answer.
   */
  seal?: (record: UploadRecord) => IdempotencyFinish;
}

/**
 * Inserts a new upload whose COS upload was already initiated, under the owner's (and the
 * profile's) quota, checked in the write itself: creates that raced past a first count lose here
 * (429). With `finish`, an Idempotency-Key's response goes in the same write. When nothing was
 * inserted, its COS upload is abandoned; if that abort fails, the sweep's orphan pass removes it.
 */
export async function insertNewUpload(
  deps: Pick<CoreDeps, 'store' | 'storage' | 'log'>,
  record: UploadRecord,
  limits: EffectiveLimits,
  finish?: IdempotencyFinish,
): Promise<void> {
  const abandon = async () => {
    if (!record.cosUploadId) return;
    await deps.storage.abortMultipart(record.key, record.cosUploadId).catch((e: unknown) => {
      deps.log.warn('abort after a refused create failed', {
        key: record.key,
        error: e instanceof Error ? e.name : 'unknown',
      });
    });
  };
  const quota = { maxOpenPerOwner: limits.maxOpenUploadsPerOwner, maxOpenInProfile: limits.maxOpenInProfile };
  let inserted: boolean;
  try {
    inserted = await deps.store.create(record, quota, finish);
  } catch (e) {
    // Nothing was inserted (an Idempotency-Key claim that lapsed, the store unavailable).
    await abandon();
    throw e;
  }
  if (inserted) return;
  await abandon();
  const inProfile = limits.profile !== null && limits.maxOpenInProfile !== undefined;
  throw tooManyOpenUploads(
    limits.maxOpenUploadsPerOwner,
    inProfile ? { name: limits.profile!, limit: limits.maxOpenInProfile! } : undefined,
  );
}
