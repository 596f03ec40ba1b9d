import type { UploadRecord } from '../ports.ts';
import type { CoreDeps } from './deps.ts';
import { normalizeEtag } from './verify-parts.ts';

/** What makes two uploads "the same file" for dedupe (docs/API.md, create, `dedupe`). */
export interface SameFile {
  fileName: string;
  size: number;
  crc64: string;
  /** null: created under no profile. */
  profile: string | null;
}

/**
 * Candidates one lookup reads. An owner with more completed uploads of identical bytes under other
 * names than this is rare; past it, a dedupe may miss and create a new upload, never answer wrong.
 */
const CANDIDATES = 50;

/**
 * This owner's completed upload of the same file whose object is still in COS as we recorded it,
 * or null. One indexed read finds candidates by size and CRC64; the rule is here: same fileName and
 * profile, and a HEAD (436/7745) finding the object with the recorded size and ETag — an object
 * deleted or overwritten behind our back is no answer (the caller then creates a new upload).
 */
export async function findDuplicate(
  deps: Pick<CoreDeps, 'store' | 'storage' | 'log'>,
  owner: string,
  file: SameFile,
): Promise<UploadRecord | null> {
  const candidates = await deps.store.findCompletedByContent(owner, { size: file.size, crc64: file.crc64 }, CANDIDATES);
  for (const u of candidates) {
    if (!sameFile(u, owner, file)) continue;
    const head = await deps.storage.headObject(u.key);
    if (head && head.size === u.size && u.etag !== null && normalizeEtag(head.etag) === normalizeEtag(u.etag)) {
      return u;
    }
    deps.log.info('dedupe candidate no longer in COS as recorded', { uploadId: u.id, found: head !== null });
  }
  return null;
}

const sameFile = (u: UploadRecord, owner: string, f: SameFile): boolean =>
  u.owner === owner &&
  u.state === 'completed' &&
  u.fileName === f.fileName &&
  u.size === f.size &&
  u.crc64 === f.crc64 &&
  u.profile === f.profile;
