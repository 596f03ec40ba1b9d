import type { UploadRecord } from '../ports.ts';
import { checkCreateInput, type CreateUploadInput } from './create-upload.ts';
import { findDuplicate } from './dedupe.ts';
import type { CoreDeps } from './deps.ts';
import { toPublicUpload } from './upload-view.ts';
import { type PartUrl, signPartUrls } from './part-urls.ts';

export interface CreateSessionInput extends CreateUploadInput {
  /** The upload profile asked for (null/absent = none): dedupe matches on it. */
  profile?: string;
}

export interface CreatedSession {
  upload: UploadRecord;
  /** Parts 1..presign, when asked for and the upload is open. */
  urls?: PartUrl[];
  /** An existing completed upload answered instead (the route says 200, not 201). */
  deduplicated?: true;
}

/**
 * Create's first step (create-upload-answer.ts, create-batch.ts): input checks first (a bad body is
 * a 400 even when a duplicate exists), then, with `dedupe`, this owner's completed upload of the
 * same file (dedupe.ts), which is the whole answer: nothing is created.
 */
export async function lookUpDuplicate(
  deps: CoreDeps,
  owner: string,
  input: CreateSessionInput,
): Promise<CreatedSession | null> {
  checkCreateInput(input, deps.limits);
  if (!input.dedupe || input.size === undefined || input.crc64 === undefined) return null;
  const upload = await findDuplicate(deps, owner, {
    fileName: input.fileName,
    size: input.size,
    crc64: input.crc64,
    profile: input.profile ?? null,
  });
  return upload ? { upload, deduplicated: true } : null;
}

/**
 * A new upload and its first `count` part URLs, exactly as part-urls would answer them
 * (signPartUrls, capped at the upload's expiresAt). No activity write of their own: create has
 * just stamped `lastActivityAt`. None for a 0-byte file: it is born completed.
 */
export function presigned(deps: CoreDeps, upload: UploadRecord, count: number): CreatedSession {
  if (count === 0 || upload.state !== 'open') return { upload };
  const partNumbers = Array.from({ length: count }, (_, i) => i + 1);
  return { upload, urls: signPartUrls(deps, upload, upload, partNumbers, deps.clock.now()) };
}

/** The answer's body for one session: create's, and each successful item of a batch create. */
export const toSessionView = (s: CreatedSession, now: Date) => ({
  upload: toPublicUpload(s.upload, now),
  ...(s.urls ? { urls: s.urls } : {}),
  ...(s.deduplicated ? { deduplicated: true as const } : {}),
});
