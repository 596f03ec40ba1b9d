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
