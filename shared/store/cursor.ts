import { validationFailed } from '../errors.ts';
import type * as z from '../zod.ts';

/**
 * Cursors are opaque to callers: base64url of a small JSON value whose shape only the adapter
 * knows. Decoding validates the shape, so a tampered or foreign cursor is a 400, never a crash.
 */
export function encodeCursor(value: unknown): string {
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
}

export function decodeCursor<T>(cursor: string, schema: z.ZodMiniType<T>): T {
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalidCursor();
  }
  const r = schema.safeParse(json);
  if (!r.success) throw invalidCursor();
  return r.data;
}

export const invalidCursor = () =>
  validationFailed([{ path: ['cursor'], message: 'invalid cursor' }], 'invalid cursor');
