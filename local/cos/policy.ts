import { type Condition, conditionHolds, parseConditions } from './policy-conditions.ts';

/**
 * CAM policy (version 2.0) evaluation for requests signed with temporary keys: deny wins, then any
 * allow, else implicit deny. Only what COS upload policies use is understood; a policy using
 * anything else is refused when the STS issues it, so nothing here silently ignores a rule.
 */

interface Statement {
  effect: 'allow' | 'deny';
  actions: RegExp[];
  resources: RegExp[];
  /** The resource names as written (for the issue-time APPID check). */
  resourceNames: string[];
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
    const resourceNames = list(st.resource, `statement ${i} resource`);
    return {
      effect,
      actions: list(st.action, `statement ${i} action`).map((a) => glob(a, 'i')),
      resources: resourceNames.map((r) => glob(r)),
      resourceNames,
      conditions: parseConditions(st.condition),
    };
  });
  return { statements };
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
 * The first resource granting another account's resources: a `uid/<APPID>` (or legacy
 * `prefix//<APPID>/`) naming, without wildcard, an APPID other than the account's. STS refuses
 * such a policy (InvalidParameter.GrantOtherResource). A wildcard APPID passes here but can still
 * only ever match this account: the resources a request is checked against always carry the
 * request bucket's own APPID (cosResources).
 */
export function otherAccountResource(policy: Policy, appId: string): string | undefined {
  const foreign = (id: string | undefined) => id !== undefined && !id.includes('*') && id !== appId;
  for (const s of policy.statements) {
    for (const r of s.resourceNames) {
      const m = /^qcs:[^:]*:[^:]*:[^:]*:uid\/([^:]*)(?::(.*))?$/.exec(r);
      if (!m) continue;
      const legacy = /^prefix\/\/([^/]*)\//.exec(m[2] ?? '');
      if (foreign(m[1]) || foreign(legacy?.[1])) return r;
    }
  }
  return undefined;
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
