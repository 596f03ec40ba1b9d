import { createHash } from 'node:crypto';

/** Keys stay well under COS's 850-byte limit even with a long prefix. */
const MAX_NAME_BYTES = 200;

/**
 * A file name made safe to be the last segment of an object key: no path separators, no `..`,
 * no control characters, no format or bidi characters (`report\u202Efdp.exe` would pose as a
 * PDF), no lone surrogates (COS keys are UTF-8), and no `*` or `?` — a `*` in a key would become
 * a wildcard in the STS policy resource that names it.
 */
export function sanitizeFileName(name: string): string {
  let s = name
    .toWellFormed()
    .normalize('NFC')
    .replace(/[\p{Cc}\p{Cf}]/gu, '')
    .replace(/[/\\*?]/g, '_')
    .replace(/\.{2,}/g, '.')
    .trim()
    .replace(/^[.\s]+|[.\s]+$/g, '');
  while (Buffer.byteLength(s, 'utf8') > MAX_NAME_BYTES) s = Array.from(s).slice(0, -1).join('');
  return s || 'file';
}

/** A short stable hash so keys group by owner without putting the raw `sub` (maybe an email) in the bucket. */
export const ownerHash = (owner: string): string =>
  createHash('sha256').update(owner, 'utf8').digest('hex').slice(0, 16);

/** `u/<owner-hash>/<id>/<sanitized fileName>` — chosen by the server, never by the client. */
export const objectKey = (prefix: string, owner: string, id: string, fileName: string): string =>
  `${prefix}${ownerHash(owner)}/${id}/${sanitizeFileName(fileName)}`;

/**
 * The upload id inside a managed key, for reconciling COS uploads with the store:
 * `<prefix><owner-hash>/<id>/...`, or under a profile `<prefix><keySegment>/<owner-hash>/<id>/...`.
 * The owner hash (16 hex digits) then the id is what is looked for, so a profile's segment can
 * never pass for either.
 */
export function uploadIdFromKey(prefix: string, key: string): string | null {
  if (!key.startsWith(prefix)) return null;
  const segments = key.slice(prefix.length).split('/');
  for (const at of [0, 1]) {
    const [hash, id] = [segments[at], segments[at + 1]];
    if (hash && OWNER_HASH.test(hash) && id && UPLOAD_ID.test(id) && segments.length > at + 2) return id;
  }
  return null;
}

const OWNER_HASH = /^[0-9a-f]{16}$/;
const UPLOAD_ID = /^upl_[0-9a-z]+$/;

/**
 * Where an append upload's bytes grow (APPEND Object, 436/7741) until complete copies them to the
 * final key: next to it, under the same `<id>/` segment, so only this upload ever uses it and the
 * sweep can tell whose it is (uploadIdFromKey).
 */
export const appendStagingKey = (key: string): string => `${key}.append`;
