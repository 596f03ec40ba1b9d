import { contentMismatch, type UploadError } from '../errors.ts';
import type { UploadRecord } from '../ports.ts';
import type { CoreDeps } from './deps.ts';

/** A declared content type as compared: the media type alone, lower case (`Image/PNG; x=1` → `image/png`). */
export const mediaTypeOf = (contentType: string): string => contentType.split(';')[0]!.trim().toLowerCase();

/**
 * The rule (docs/API.md "Content verification"): a declared type the detector has a signature for
 * must be what the bytes are; anything else it cannot judge (text/plain, text/csv) passes. Bytes
 * with no known signature at all are not a declared PNG either, so they fail too.
 */
export function contentVerdict(
  declared: string,
  declaredRecognisable: boolean,
  detected: string | null,
): { ok: true } | { ok: false; declared: string; detected: string | null } {
  const type = mediaTypeOf(declared);
  if (!declaredRecognisable || detected === type) return { ok: true };
  return { ok: false, declared: type, detected };
}

/**
 * With VERIFY_CONTENT_TYPE on: reads the assembled object's first bytes and judges them. null =
 * the bytes may stand (verification off, or the type passes); else the CONTENT_MISMATCH to end
 * the upload with. A missing object is not judged here: whoever completes will HEAD it anyway.
 */
export async function contentProblem(
  deps: Pick<CoreDeps, 'limits' | 'storage' | 'detector'>,
  u: Pick<UploadRecord, 'key' | 'contentType'>,
): Promise<UploadError | null> {
  if (!deps.limits.verifyContentType) return null;
  // A wiring bug, not a passing failure: the worker records it and stops instead of retrying.
  if (!deps.detector) throw new Error('VERIFY_CONTENT_TYPE is on but this runtime has no content detector');
  const type = mediaTypeOf(u.contentType);
  if (!(await deps.detector.recognises(type))) return null;
  const head = await deps.storage.readRange(u.key, 0, deps.detector.sampleBytes - 1);
  if (head === null) return null;
  const verdict = contentVerdict(type, true, await deps.detector.detect(head));
  return verdict.ok ? null : contentMismatch(verdict.declared, verdict.detected);
}
