import type { IncomingMessage, ServerResponse } from 'node:http';
import { CosError } from './cos-error.ts';
import { header } from './request.ts';

/**
 * CORS as a bucket with CORS rules answers it (PUT Bucket cors, 436/8279; OPTIONS Object, 436/8288):
 * the first rule that allows the origin and method (and, for a preflight, every requested header)
 * decides; a request no rule allows gets no CORS headers at all, and a preflight is refused with
 * 403. Only the headers the matching rule names are exposed.
 */

export interface CorsRule {
  /** Origins, each with at most one `*` wildcard: `http://127.0.0.1:*`, `https://*.example.com`, `*`. */
  allowedOrigins: readonly string[];
  /** Of GET, PUT, POST, DELETE, HEAD (the methods 436/8279 lists). */
  allowedMethods: readonly string[];
  /** Request headers a preflight may ask for, case-insensitive, at most one `*` each (`*` = any). */
  allowedHeaders?: readonly string[];
  /** Response headers a browser may read; no wildcards (436/8279). */
  exposeHeaders?: readonly string[];
  maxAgeSeconds?: number;
}

/**
 * What `npm start` gives its bucket (docs/API.md, Local mode): loopback pages on any port — the web page
 * is served by the API on another port than the emulator — may PUT, POST, GET and HEAD with any
 * header and read what an upload client needs.
 */
export const DEFAULT_CORS_RULES: readonly CorsRule[] = [
  {
    allowedOrigins: ['http://127.0.0.1:*', 'http://localhost:*', 'http://[::1]:*'],
    allowedMethods: ['PUT', 'POST', 'GET', 'HEAD'],
    allowedHeaders: ['*'],
    exposeHeaders: ['ETag', 'x-cos-hash-crc64ecma', 'x-cos-next-append-position', 'x-cos-request-id'],
    maxAgeSeconds: 600,
  },
];

const METHODS = new Set(['GET', 'PUT', 'POST', 'DELETE', 'HEAD']);

export interface CompiledCorsRule {
  origins: { pattern: string; re: RegExp }[];
  methods: Set<string>;
  headers: RegExp[];
  expose: readonly string[];
  maxAgeSeconds: number | undefined;
}

const wildcard = (pattern: string, flags = ''): RegExp =>
  new RegExp(
    `^${pattern
      .split('*')
      .map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
    flags,
  );

/** Validates rules as COS's PUT Bucket cors would and prepares them; throws Error on a bad rule. */
export function compileCorsRules(rules: readonly CorsRule[]): CompiledCorsRule[] {
  return rules.map((r, i) => {
    const fail = (m: string): never => {
      throw new Error(`cors rule ${i}: ${m}`);
    };
    if (r.allowedOrigins.length === 0) fail('allowedOrigins must not be empty');
    if (r.allowedMethods.length === 0) fail('allowedMethods must not be empty');
    for (const o of r.allowedOrigins) if (o.split('*').length > 2) fail(`origin ${o} has more than one *`);
    for (const h of r.allowedHeaders ?? []) if (h.split('*').length > 2) fail(`header ${h} has more than one *`);
    for (const h of r.exposeHeaders ?? []) if (h.includes('*')) fail(`expose header ${h} may not hold a *`);
    for (const m of r.allowedMethods) if (!METHODS.has(m.toUpperCase())) fail(`method ${m} is not one COS allows`);
    if (r.maxAgeSeconds !== undefined && !(Number.isInteger(r.maxAgeSeconds) && r.maxAgeSeconds >= 0))
      fail('maxAgeSeconds must be a non-negative integer');
    return {
      origins: r.allowedOrigins.map((o) => ({ pattern: o, re: wildcard(o) })),
      methods: new Set(r.allowedMethods.map((m) => m.toUpperCase())),
      headers: (r.allowedHeaders ?? []).map((h) => wildcard(h.toLowerCase(), 'i')),
      expose: r.exposeHeaders ?? [],
      maxAgeSeconds: r.maxAgeSeconds,
    };
  });
}

/** The first rule allowing origin + method + every header; with the origin value to answer. */
function match(rules: readonly CompiledCorsRule[], origin: string, method: string, headers: readonly string[]) {
  for (const rule of rules) {
    const o = rule.origins.find((x) => x.re.test(origin));
    if (!o || !rule.methods.has(method.toUpperCase())) continue;
    if (!headers.every((h) => rule.headers.some((re) => re.test(h)))) continue;
    // A rule that allows every origin answers `*`; any other answers the origin itself.
    return { rule, allowOrigin: o.pattern === '*' ? '*' : origin };
  }
  return null;
}

function setRuleHeaders(res: ServerResponse, rule: CompiledCorsRule, allowOrigin: string): void {
  res.setHeader('Access-Control-Allow-Origin', allowOrigin);
  res.setHeader('Access-Control-Allow-Methods', [...rule.methods].join(', '));
  if (rule.expose.length) res.setHeader('Access-Control-Expose-Headers', rule.expose.join(', '));
  if (rule.maxAgeSeconds !== undefined) res.setHeader('Access-Control-Max-Age', String(rule.maxAgeSeconds));
}

/**
 * On every response of a bucket with rules: whether CORS headers come depends on Origin, so a
 * cache must key on it. An actual request (not a preflight) from an allowed origin with an allowed
 * method gets the rule's headers; COS checks no request headers there, the browser did at preflight.
 */
export function corsForRequest(req: IncomingMessage, res: ServerResponse, rules: readonly CompiledCorsRule[]): void {
  if (rules.length === 0) return;
  res.setHeader('Vary', 'Origin');
  const origin = header(req, 'origin');
  if (origin === undefined) return;
  const m = match(rules, origin, req.method ?? 'GET', []);
  if (m) setRuleHeaders(res, m.rule, m.allowOrigin);
}

/**
 * CORS failures are 403 `AccessForbidden` on COS (436/40105: "For failed cross-origin requests,
 * COS will return AccessForbidden"). The message is not documented; this one follows S3's.
 */
const forbidden = (why: string) =>
  new CosError(403, 'AccessForbidden', `CORSResponse: This CORS request is not allowed. ${why}`);

/**
 * OPTIONS Object (436/8288): unsigned. A preflight no rule allows — or one without Origin or
 * Access-Control-Request-Method, which COS does not document; the emulator assumes the same
 * refusal — is a 403 with no CORS headers, so the browser stops.
 */
export function preflight(req: IncomingMessage, res: ServerResponse, rules: readonly CompiledCorsRule[]): void {
  res.setHeader('Vary', 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers');
  const origin = header(req, 'origin');
  const method = header(req, 'access-control-request-method');
  if (origin === undefined || method === undefined)
    throw forbidden('A preflight needs Origin and Access-Control-Request-Method.');
  const asked = (header(req, 'access-control-request-headers') ?? '')
    .split(',')
    .map((h) => h.trim().toLowerCase())
    .filter(Boolean);
  const m = match(rules, origin, method, asked);
  if (!m)
    throw forbidden(
      'The Origin, Access-Control-Request-Method or Access-Control-Request-Headers are not allowed by the bucket CORS rules.',
    );
  setRuleHeaders(res, m.rule, m.allowOrigin);
  if (asked.length) res.setHeader('Access-Control-Allow-Headers', asked.join(', '));
  res.writeHead(200, { 'Content-Length': '0' });
  res.end();
}
