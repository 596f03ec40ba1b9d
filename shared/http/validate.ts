import { isUploadError, type ValidationIssue, validationFailed } from '../errors.ts';
import type { ItemResult } from '../core/batch-item.ts';
import type * as z from '../zod.ts';

/** Validates one part of a request; issue paths start with where it came from (`body`, `query`...). */
export function parseWith<T>(schema: z.ZodMiniType<T>, value: unknown, where: 'body' | 'params' | 'query'): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw validationFailed(
    result.error.issues.map((i) => ({
      path: [where, ...i.path.map((p) => (typeof p === 'symbol' ? String(p) : p))],
      message: i.message,
    })),
  );
}

/**
 * Validates one item of a batch: its value, or its own VALIDATION_FAILED with paths relative to
 * the item (`['size']`, not `['body', 'uploads', 3, 'size']`), so the item fails alone.
 */
export function parseItem<T>(schema: z.ZodMiniType<T>, value: unknown): ItemResult<T> {
  const result = schema.safeParse(value);
  if (result.success) return { ok: true, value: result.data };
  return {
    ok: false,
    error: validationFailed(
      result.error.issues.map((i) => ({
        path: i.path.map((p) => (typeof p === 'symbol' ? String(p) : p)),
        message: i.message,
      })),
    ),
  };
}

const ORIGINS: readonly unknown[] = ['body', 'params', 'query', 'headers'];

/**
 * A use case's VALIDATION_FAILED names fields relative to its input (`['partNumbers']`); the
 * client needs to know which part of its request that was (`['body', 'partNumbers']`). Paths that
 * already start with an origin (the route's own schema checks) pass unchanged; any other error too.
 */
export function withInputPrefix(e: unknown, origin: 'body' | 'params' | 'query'): unknown {
  if (!isUploadError(e) || e.code !== 'VALIDATION_FAILED' || !Array.isArray(e.details.issues)) return e;
  const issues = (e.details.issues as ValidationIssue[]).map((i) =>
    ORIGINS.includes(i.path[0]) ? i : { ...i, path: [origin, ...i.path] },
  );
  return validationFailed(issues, e.message);
}
