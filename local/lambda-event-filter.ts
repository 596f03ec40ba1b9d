/**
 * Lambda's event filtering (the `filterPatterns` of an event source mapping), for the subset of
 * its syntax this project's patterns use: nested objects of field names, and at the leaves
 * arrays of exact values ("Control which events Lambda sends to your function": a record matches
 * when every field the pattern names matches; a leaf matches when the value equals one element).
 * Anything else — `prefix`, `exists`, `anything-but`, `numeric` — throws, so a pattern that starts
 * to use an operator fails here loudly instead of silently delivering different records locally
 * than AWS would.
 */
export type FilterPattern = { readonly [field: string]: FilterPattern | readonly Scalar[] };
type Scalar = string | number | boolean | null;

const isScalar = (v: unknown): v is Scalar =>
  v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';

export function matchesEventFilter(pattern: FilterPattern, event: unknown): boolean {
  if (typeof event !== 'object' || event === null || Array.isArray(event)) return false;
  const fields = event as Record<string, unknown>;
  for (const [name, rule] of Object.entries(pattern)) {
    const value = fields[name];
    if (Array.isArray(rule)) {
      if (!rule.every(isScalar)) throw new Error(`filter operator at "${name}" is not supported locally`);
      // An array in the event matches when any of its elements does (same page).
      const values = Array.isArray(value) ? value : [value];
      if (!values.some((v) => isScalar(v) && rule.includes(v))) return false;
    } else if (!matchesEventFilter(rule as FilterPattern, value)) {
      return false;
    }
  }
  return true;
}
