import { randomBytes } from 'node:crypto';
import type { Clock, IdSource } from '../ports.ts';

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz'; // Crockford base32, lowercase

/** 128 bits of randomness, base32: unguessable, URL- and key-safe. */
export function newUploadId(): string {
  const bytes = randomBytes(16);
  let bits = 0;
  let value = 0;
  let out = '';
  for (const b of bytes) {
    value = (value << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += ALPHABET[(value << (5 - bits)) & 31];
  return `upl_${out}`;
}

export const randomIds: IdSource = { uploadId: newUploadId };
export const systemClock: Clock = { now: () => new Date() };
