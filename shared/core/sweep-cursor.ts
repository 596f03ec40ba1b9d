import { validationFailed } from '../errors.ts';
import * as z from '../zod.ts';

/** Where a bounded sweep stopped listing COS multipart uploads: the next run resumes after it. */
export interface CosMarker {
  keyMarker: string;
  uploadIdMarker: string;
}

const markerSchema = z.strictObject({ k: z.string().check(z.maxLength(1024)), u: z.string().check(z.maxLength(1024)) });

/** Opaque to callers (base64url JSON), like the store's list cursors. */
export const encodeSweepCursor = (m: CosMarker): string =>
  Buffer.from(JSON.stringify({ k: m.keyMarker, u: m.uploadIdMarker }), 'utf8').toString('base64url');

/** null when the string is not a cursor this module wrote (tampered, truncated, foreign). */
export function parseSweepCursor(cursor: string): CosMarker | null {
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    return null;
  }
  const r = markerSchema.safeParse(json);
  return r.success ? { keyMarker: r.data.k, uploadIdMarker: r.data.u } : null;
}

export function decodeSweepCursor(cursor: string): CosMarker {
  const m = parseSweepCursor(cursor);
  if (!m) throw validationFailed([{ path: ['cursor'], message: 'invalid cursor' }], 'invalid cursor');
  return m;
}
