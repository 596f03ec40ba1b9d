/**
 * Types a wildcard never admits: they must be listed exactly. An SVG is a script-capable document
 * when served, so `image/*` (or `*\/*`) meaning "pictures" must not let one in.
 */
const EXPLICIT_ONLY = new Set(['image/svg+xml']);

/**
 * `ALLOWED_CONTENT_TYPES` is a comma list with `*` wildcards (`image/*,video/mp4`, `*\/*`).
 * Parameters (`; charset=utf-8`) are ignored for matching; comparison is case-insensitive. A type
 * of EXPLICIT_ONLY (`image/svg+xml`) is matched only by an entry naming it without a wildcard.
 */
export function contentTypeAllowed(contentType: string, allowList: string): boolean {
  const type = contentType.split(';')[0]!.trim().toLowerCase();
  const explicitOnly = EXPLICIT_ONLY.has(type);
  return allowList
    .split(',')
    .map((p) => p.trim().toLowerCase())
    .filter(Boolean)
    .some((pattern) => (explicitOnly ? pattern === type : globToRegExp(pattern).test(type)));
}

const globToRegExp = (glob: string) =>
  new RegExp(`^${glob.replace(/[.+?^${}()|[\]\\/]/g, '\\$&').replace(/\*/g, '[^/]*')}$`);

/**
 * A pattern (as an upload profile lists it) is within an allow-list when every type it admits is
 * admitted by the list: an exact type when the list admits it, a wildcard when one of the list's
 * patterns matches it as a string (`image/*` covers `image/*` and `image/x-*`, not `*\/*`).
 * EXPLICIT_ONLY types stay out of wildcards on both sides, so this is exact for them too.
 */
export function patternWithin(pattern: string, allowList: string): boolean {
  const p = pattern.split(';')[0]!.trim().toLowerCase();
  if (!p.includes('*')) return contentTypeAllowed(p, allowList);
  return allowList
    .split(',')
    .map((g) => g.trim().toLowerCase())
    .filter(Boolean)
    .some((g) => globToRegExp(g).test(p));
}
