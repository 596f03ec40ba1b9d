import { validationFailed } from '../errors.ts';
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
