/**
 * CAM policy (version 2.0) evaluation for requests signed with temporary keys: deny wins, then any
 * allow, else implicit deny. Only what COS upload policies use is understood; a policy using
 * anything else is refused when the STS issues it, so nothing here silently ignores a rule.
 */

type Scalar = string | number;

interface Condition {
  op: string;
  key: string;
  values: Scalar[];
}

interface Statement {
  effect: 'allow' | 'deny';
  actions: RegExp[];
  resources: RegExp[];
  conditions: Condition[];
}

export interface Policy {
  statements: Statement[];
}

export type Decision = 'allow' | 'deny' | 'implicitDeny';

export interface PolicyRequest {
  /** e.g. `name/cos:UploadPart` */
  action: string;
  /** Every spelling of the resource; a pattern matching any of them matches. */
  resources: string[];
  /** Condition keys (lowercase, e.g. `cos:content-length`) to request values. */
  context: Record<string, string | undefined>;
}

const NUMERIC: Record<string, (a: number, b: number) => boolean> = {
  numeric_equal: (a, b) => a === b,
  numeric_not_equal: (a, b) => a !== b,
  numeric_less_than: (a, b) => a < b,
  numeric_less_than_equal: (a, b) => a <= b,
  numeric_greater_than: (a, b) => a > b,
  numeric_greater_than_equal: (a, b) => a >= b,
};
const STRING: Record<string, (a: string, b: string) => boolean> = {
  string_equal: (a, b) => a === b,
  string_not_equal: (a, b) => a !== b,
  string_like: (a, b) => glob(b).test(a),
  string_not_like: (a, b) => !glob(b).test(a),
};
const NEGATED = new Set(['numeric_not_equal', 'string_not_equal', 'string_not_like']);

/** `*` matches any run of characters (including '/'); everything else is literal. */
export function glob(pattern: string, flags = ''): RegExp {
  const body = pattern
    .split('*')
    .map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${body}$`, flags);
}

const list = (v: unknown, what: string): string[] => {
  const arr = Array.isArray(v) ? v : [v];
  if (arr.length === 0 || !arr.every((x) => typeof x === 'string' && x.length > 0)) {
    throw new Error(`${what} must be a non-empty string or array of strings`);
  }
  return arr as string[];
};

function parseConditions(v: unknown): Condition[] {
  if (v === undefined) return [];
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('condition must be an object');
  const out: Condition[] = [];
  for (const [op, block] of Object.entries(v)) {
    const o = op.toLowerCase();
    if (!(o in NUMERIC) && !(o in STRING)) throw new Error(`unsupported condition operator ${op}`);
    if (typeof block !== 'object' || block === null || Array.isArray(block))
      throw new Error(`condition ${op} must map keys to values`);
    for (const [key, raw] of Object.entries(block)) {
      const values = (Array.isArray(raw) ? raw : [raw]) as unknown[];
      if (values.length === 0 || !values.every((x) => typeof x === 'string' || typeof x === 'number')) {
        throw new Error(`condition ${op} ${key}: values must be strings or numbers`);
      }
      if (o in NUMERIC && !values.every((x) => Number.isFinite(Number(x))))
        throw new Error(`condition ${op} ${key}: values must be numeric`);
      out.push({ op: o, key: key.toLowerCase(), values: values as Scalar[] });
    }
  }
  return out;
}

/** Parses and validates policy JSON text; throws Error with a readable reason. */
export function parsePolicy(text: string): Policy {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new Error('policy is not valid JSON');
  }
  if (typeof doc !== 'object' || doc === null) throw new Error('policy must be a JSON object');
  const d = doc as Record<string, unknown>;
  if (d.version !== '2.0') throw new Error('policy version must be "2.0"');
  const raw = Array.isArray(d.statement) ? d.statement : d.statement === undefined ? [] : [d.statement];
  if (raw.length === 0) throw new Error('policy needs at least one statement');
  const statements = raw.map((s: unknown, i): Statement => {
    if (typeof s !== 'object' || s === null) throw new Error(`statement ${i} must be an object`);
    const st = s as Record<string, unknown>;
    const effect = String(st.effect ?? '').toLowerCase();
    if (effect !== 'allow' && effect !== 'deny') throw new Error(`statement ${i}: effect must be allow or deny`);
    return {
      effect,
      actions: list(st.action, `statement ${i} action`).map((a) => glob(a, 'i')),
      resources: list(st.resource, `statement ${i} resource`).map((r) => glob(r)),
      conditions: parseConditions(st.condition),
    };
  });
  return { statements };
}

function conditionHolds(c: Condition, context: PolicyRequest['context']): boolean {
  const actual = context[c.key];
  if (actual === undefined) return false;
  const num = NUMERIC[c.op];
  const test = num
    ? (v: Scalar) => /^\d+(\.\d+)?$/.test(actual.trim()) && num(Number(actual), Number(v))
    : (v: Scalar) => STRING[c.op]!(actual, String(v));
  // A negated operator must hold against every listed value; a positive one against any.
  return NEGATED.has(c.op) ? c.values.every(test) : c.values.some(test);
}

export function evaluate(policy: Policy, req: PolicyRequest): Decision {
  let allowed = false;
  for (const s of policy.statements) {
    if (!s.actions.some((a) => a.test(req.action))) continue;
    if (!s.resources.some((r) => req.resources.some((res) => r.test(res)))) continue;
    if (!s.conditions.every((c) => conditionHolds(c, req.context))) continue;
    if (s.effect === 'deny') return 'deny';
    allowed = true;
  }
  return allowed ? 'allow' : 'implicitDeny';
}

/**
 * The resource names COS checks for an object (or the bucket, with key ''): the current form
 * `qcs::cos:<region>:uid/<appid>:<bucket>/<key>` and the legacy `prefix//<appid>/<short>/<key>`.
 */
export function cosResources(region: string, bucket: string, key: string): string[] {
  const dash = bucket.lastIndexOf('-');
  const appId = dash > 0 ? bucket.slice(dash + 1) : '';
  const short = dash > 0 ? bucket.slice(0, dash) : bucket;
  return [
    `qcs::cos:${region}:uid/${appId}:${bucket}/${key}`,
    `qcs::cos:${region}:uid/${appId}:prefix//${appId}/${short}/${key}`,
  ];
}
