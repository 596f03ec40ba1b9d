import { isUploadError, notFound, tooManyOpenUploads, UploadError, validationFailed } from '../errors.ts';
import type { ComposeSource, UploadRecord } from '../ports.ts';
import { beginCompletion, type CompleteResult, completeUpload } from './complete-upload.ts';
import { planCompose } from './compose-plan.ts';
import { combineParts } from './crc64.ts';
import type { CoreDeps } from './deps.ts';
import {
  insertNewUpload,
  newObjectKey,
  type NewObjectInput,
  newObjectRules,
  type NewUploadOptions,
} from './new-object.ts';
import { effectiveState } from './upload-view.ts';

export interface ComposeInput extends NewObjectInput {
  fileName: string;
  sources: readonly { uploadId: string; range?: { start: number; end: number } }[];
}

/**
 * `POST /v1/uploads/compose`: a new upload whose object COS builds from the owner's completed
 * uploads (Upload Part - Copy, 436/8287), no byte through a client. Everything is checked before
 * anything exists — sources (another owner's or unknown → 404 naming nothing; not completed → 409
 * UPLOAD_NOT_COMPLETED with the source's index), ranges, the part plan (compose-plan.ts), type and
 * quota — then the upload is created (counted like any create) and handed to the completion worker
 * exactly as `complete` does: copying can take long, so the answer is the same 200 or 202.
 */
export async function composeUpload(
  deps: CoreDeps,
  owner: string,
  input: ComposeInput,
  opts: NewUploadOptions = {},
): Promise<CompleteResult> {
  const { limits, headers } = newObjectRules(input, deps.limits);
  const { contentType, metadata, ...objectHeaders } = headers;
  const sources = await loadSources(deps, owner, input.sources);
  const plan = planCompose(sources, limits);

  const open = await deps.store.countOpenByOwner(owner);
  if (open >= limits.maxOpenUploadsPerOwner) throw tooManyOpenUploads(limits.maxOpenUploadsPerOwner);

  const id = deps.ids.uploadId();
  const key = newObjectKey(limits, owner, id, input.fileName);
  const cosUploadId = await deps.storage.initiateMultipart(key, headers);
  const now = deps.clock.now();
  const at = now.toISOString();
  // Whole sources carry their CRC64, so the result's is known; a range's is not (see docs/API.md).
  const known = sources.every((s) => s.crc64 !== null);
  const record: UploadRecord = {
    id,
    owner,
    state: 'open',
    strategy: 'multipart',
    cosUploadId,
    bucket: deps.storage.bucket,
    region: deps.storage.region,
    key,
    fileName: input.fileName,
    contentType,
    size: plan.size,
    maxSize: plan.size,
    partSize: plan.partSize,
    partCount: plan.parts.length,
    metadata,
    crc64: known ? combineParts(sources.map((s) => ({ crc64: s.crc64!, size: s.end - s.start + 1 }))) : null,
    createdAt: at,
    updatedAt: at,
    expiresAt: new Date(now.getTime() + limits.uploadTtlSeconds * 1000).toISOString(),
    lastActivityAt: at,
    completedAt: null,
    etag: null,
    location: deps.storage.objectUrl(key),
    crc64Verified: null,
    lastError: null,
    assemblyStartedAt: null,
    leaseUntil: null,
    profile: limits.profile,
    ...objectHeaders,
    composeSources: sources,
  };
  await insertNewUpload(deps, record, limits, opts.seal?.(record));
  deps.log.info('compose created', {
    uploadId: id,
    sources: sources.length,
    parts: plan.parts.length,
    size: plan.size,
  });
  try {
    // Under a key the answer was fixed at the insert: start the copies, do not wait for them.
    if (opts.seal) return { upload: await beginCompletion(deps, record), done: false };
    return await completeUpload(deps, record);
  } catch (e) {
    // The upload exists now: a copy that failed says which one, so the caller can complete it again or delete it.
    if (isUploadError(e)) throw new UploadError(e.status, e.code, e.message, { ...e.details, uploadId: id });
    throw e;
  }
}

/** The sources as the worker will copy them, checked in order (the first problem answers). */
async function loadSources(
  deps: Pick<CoreDeps, 'store' | 'clock'>,
  owner: string,
  wanted: ComposeInput['sources'],
): Promise<ComposeSource[]> {
  const now = deps.clock.now();
  const records = await Promise.all(wanted.map((w) => deps.store.get(w.uploadId)));
  return wanted.map((w, i): ComposeSource => {
    const u = records[i];
    // Another owner's upload answers exactly as an unknown one, and names no id (docs/API.md, roles).
    if (!u || u.owner !== owner) throw notFound('upload not found');
    const state = effectiveState(u, now);
    if (state !== 'completed' || u.size === null) {
      throw new UploadError(409, 'UPLOAD_NOT_COMPLETED', `source ${i} is ${state}: only completed uploads compose`, {
        state,
        source: i,
      });
    }
    if (u.size === 0) throw validationFailed([{ path: ['sources', i], message: 'an empty upload adds nothing' }]);
    const range = w.range ?? { start: 0, end: u.size - 1 };
    if (range.end >= u.size) {
      throw validationFailed([
        {
          path: ['sources', i, 'range'],
          message: `must lie within the source's ${u.size} bytes (end ≤ ${u.size - 1})`,
        },
      ]);
    }
    const whole = range.start === 0 && range.end === u.size - 1;
    return { uploadId: u.id, key: u.key, start: range.start, end: range.end, crc64: whole ? u.crc64 : null };
  });
}
