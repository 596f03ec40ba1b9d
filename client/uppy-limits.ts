/**
 * `GET /v1/limits` for the Uppy plugin: what the server accepts, read once, turned into Uppy
 * restrictions so a file the server would refuse is refused when it is added, not at create.
 */
import type { Restrictions } from '@uppy/core';
import type { ServerLimits } from './server-limits.ts';

export { fetchServerLimits, type LimitsRequest, type ServerLimits } from './server-limits.ts';

/** The content types of a limits answer as a list; null when any type is allowed or none is given. */
export function allowedTypes(limits: ServerLimits): string[] | null {
  const raw = limits.allowedContentTypes;
  const list = (typeof raw === 'string' ? raw.split(',') : Array.isArray(raw) ? raw : [])
    .filter((t): t is string => typeof t === 'string')
    .map((t) => t.trim())
    .filter((t) => t !== '');
  if (list.length === 0 || list.some((t) => t === '*/*' || t === '*')) return null;
  return list;
}

/**
 * Uppy restrictions that hold the server's limits, merged with the ones the app already set: the
 * smaller `maxFileSize` wins, and the app's own `allowedFileTypes` are kept when it set any (they
 * are the app's choice; the server still refuses a type outside its list).
 */
export function restrictionsFromLimits(
  limits: ServerLimits,
  current: Partial<Restrictions>,
): Partial<Pick<Restrictions, 'maxFileSize' | 'allowedFileTypes'>> {
  const out: Partial<Pick<Restrictions, 'maxFileSize' | 'allowedFileTypes'>> = {};
  const max = limits.maxUploadBytes;
  if (typeof max === 'number' && Number.isFinite(max) && max > 0) {
    out.maxFileSize = current.maxFileSize != null ? Math.min(current.maxFileSize, max) : max;
  }
  const types = allowedTypes(limits);
  if (types && current.allowedFileTypes == null) out.allowedFileTypes = types;
  return out;
}
