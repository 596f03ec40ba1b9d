import { contentMismatch, type UploadError } from '../errors.ts';
import type { UploadRecord } from '../ports.ts';
import type { CoreDeps } from './deps.ts';

/** A declared content type as compared: the media type alone, lower case (`Image/PNG; x=1` → `image/png`). */
export const mediaTypeOf = (contentType: string): string => contentType.split(';')[0]!.trim().toLowerCase();

/**
 * Formats that are a ZIP (or an OLE compound file) inside. The detector names them by reading the
 * container's entries, and from a first-bytes sample it may only see the container: a `.docx`
 * whose `[Content_Types].xml` lies past the sample is `application/zip` to it. Such a detection is
 * inconclusive for these declared types, never a mismatch; anything else a container is not.
 */
const CONTAINED: Readonly<Record<string, RegExp>> = {
  'application/zip':
    /^(application\/(vnd\.openxmlformats-officedocument\..+|vnd\.oasis\.opendocument\..+|vnd\.ms-[a-z]+\.[a-z.]+\.macroenabled\.12|epub\+zip|java-archive|vnd\.android\.package-archive|x-xpinstall)|model\/3mf)$/,
  'application/x-cfb': /^application\/vnd\.ms-outlook$/,
};

/**
 * Declared types whose signature is optional: an XML document need not start with `<?xml`, so
 * finding none says nothing. Only bytes detected as something else fail them.
 */
const OPTIONAL_SIGNATURE = new Set(['application/xml']);

/**
 * The rule (docs/API.md "Content verification"): a declared type the detector has a signature for
 * must be what the bytes are; anything else it cannot judge (text/plain, text/csv) passes. Bytes
 * with no known signature at all are not a declared PNG either, so they fail too — except where
 * the signature is optional, or the detection only saw the container the declared format lives in.
 */
export function contentVerdict(
  declared: string,
  declaredRecognisable: boolean,
  detected: string | null,
): { ok: true } | { ok: false; declared: string; detected: string | null } {
  const type = mediaTypeOf(declared);
  if (!declaredRecognisable || detected === type) return { ok: true };
  if (detected === null && OPTIONAL_SIGNATURE.has(type)) return { ok: true };
  if (detected !== null && CONTAINED[detected]?.test(type)) return { ok: true };
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
