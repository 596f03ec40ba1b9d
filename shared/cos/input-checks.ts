import { validationFailed } from '../errors.ts';

/**
 * Header values we sign must reach COS byte for byte. fetch trims surrounding whitespace and
 * rejects non-Latin-1, and COS keeps metadata ASCII, so anything else is refused up front
 * rather than failing later as SignatureDoesNotMatch.
 */
const HEADER_VALUE = /^(?:[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?)?$/;
const META_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]*$/;

export function checkHeaderValue(field: string, value: string): string {
  if (!HEADER_VALUE.test(value)) {
    throw validationFailed([{ path: [field], message: 'must be printable ASCII without surrounding spaces' }]);
  }
  return value;
}

/** `x-cos-meta-<name>` headers for user metadata; names lowercased as COS stores them. */
export function metadataHeaders(metadata: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(metadata)) {
    if (!META_NAME.test(name)) {
      throw validationFailed([{ path: ['metadata', name], message: 'name must be letters, digits, - or _' }]);
    }
    out[`x-cos-meta-${name.toLowerCase()}`] = checkHeaderValue(`metadata.${name}`, value);
  }
  return out;
}
