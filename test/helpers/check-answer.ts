import { ERROR_STATUSES } from '../../shared/api/error-statuses.ts';
import { errorCodes, OPERATIONS, type Operation } from '../../shared/api/operations.ts';
import { errorBody } from '../../shared/api/response-schemas.ts';
import * as z from '../../shared/zod.ts';

/** What the test client read off one response. */
export interface RawAnswer {
  status: number;
  headers: Headers;
  text: string;
}

const templates = OPERATIONS.map((op) => ({
  op,
  // `{id}` is one path segment, as API Gateway and local/routes.ts match it.
  re: new RegExp(`^${op.path.replace(/[.]/g, '\\.').replace(/\{\w+\}/g, '[^/]+')}$`),
}));

/** The operation a request goes to, by method and path (query string ignored); null for any other path. */
export function operationFor(method: string, path: string): Operation | null {
  const bare = path.split('?')[0]!;
  const m = method.toLowerCase();
  return templates.find((t) => t.op.method === m && t.re.test(bare))?.op ?? null;
}

/**
 * Keys `raw` has and `parsed` lost: zod objects drop keys they do not list, which would let a
 * response carry a field its schema (and so the OpenAPI document) does not know.
 */
function unlisted(raw: unknown, parsed: unknown, at = ''): string[] {
  if (Array.isArray(raw) && Array.isArray(parsed)) return raw.flatMap((v, i) => unlisted(v, parsed[i], `${at}[${i}]`));
  if (!isObject(raw) || !isObject(parsed)) return [];
  return Object.entries(raw).flatMap(([k, v]) =>
    Object.hasOwn(parsed, k) ? unlisted(v, parsed[k], `${at}.${k}`) : [`${at}.${k}`.slice(1)],
  );
}
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Checks one answer against the contract and returns its body (null when empty). An error status
 * must carry the error body, with a code of the error family that is sent with that status and
 * that the route's operation lists; a success must be a status the operation lists, with exactly
 * the body its schema describes. Throws an Error naming the request and what did not match,
 * which fails the test.
 */
export function checkAnswer(method: string, path: string, res: RawAnswer): unknown {
  const where = `${method} ${path} answered ${res.status}`;
  const fail = (why: string): never => {
    throw new Error(`${where}, ${why}\nbody: ${res.text.slice(0, 2000)}`);
  };
  let body: unknown = null;
  if (res.text) {
    if (!/^application\/json\b/.test(res.headers.get('content-type') ?? '')) return fail('a non-JSON content type');
    try {
      body = JSON.parse(res.text);
    } catch {
      return fail('a body that is not JSON');
    }
  }
  const op = operationFor(method, path);
  let schema: z.ZodMiniType | null;
  if (res.status >= 400) {
    schema = errorBody;
  } else if (!op) {
    return body; // no such route: only the local server's web assets answer 2xx there
  } else {
    const listed = op.success[res.status];
    if (!listed) return fail(`which ${op.operationId} does not list (it lists ${Object.keys(op.success).join(', ')})`);
    schema = listed.schema;
  }
  if (schema === null) {
    if (body !== null) return fail('a body where its operation has none');
    return null;
  }
  const parsed = schema.safeParse(body);
  if (!parsed.success) return fail(`a body its schema refuses:\n${z.prettifyError(parsed.error)}`);
  const extra = unlisted(body, parsed.data);
  if (extra.length > 0) return fail(`fields its schema does not list: ${extra.join(', ')}`);
  if (res.status >= 400) {
    const { code } = (parsed.data as z.output<typeof errorBody>).error;
    const statuses: readonly number[] | undefined = ERROR_STATUSES[code as keyof typeof ERROR_STATUSES];
    if (!statuses) return fail(`code ${code}, which is not in the error family (shared/errors.ts)`);
    if (!statuses.includes(res.status)) return fail(`code ${code}, which is sent with ${statuses.join(' or ')}`);
    // The OpenAPI document lists each route's codes; what a test provokes must be among them.
    if (op && !(errorCodes(op) as string[]).includes(code)) {
      return fail(`code ${code}, which ${op.operationId} does not list (shared/api/operations.ts)`);
    }
  }
  return body;
}
