/**
 * `ALLOWED_CONTENT_TYPES` is a comma list with `*` wildcards (`image/*,video/mp4`, `*\/*`).
 * Parameters (`; charset=utf-8`) are ignored for matching; comparison is case-insensitive.
 */
export function contentTypeAllowed(contentType: string, allowList: string): boolean {
  const type = contentType.split(';')[0]!.trim().toLowerCase();
  return allowList
    .split(',')
    .map((p) => p.trim().toLowerCase())
    .filter(Boolean)
    .some((pattern) => globToRegExp(pattern).test(type));
}

const globToRegExp = (glob: string) =>
  new RegExp(`^${glob.replace(/[.+?^${}()|[\]\\/]/g, '\\$&').replace(/\*/g, '[^/]*')}$`);
