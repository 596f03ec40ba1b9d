import { BlockList, isIP } from 'node:net';

/**
 * CAM condition operators (COS 生效条件 436/71306, condition example 436/46205; CAM's operator
 * list): string_equal, string_not_equal, string_like, string_not_like, the six numeric_*, ip_equal
 * and ip_not_equal, each also as `<op>_if_exist`. Anything else is refused when the policy is
 * parsed — at STS issue time — rather than silently never (or always) holding.
 *
 * A key absent from the request: `_if_exist` holds (its documented point); every other operator,
 * negated ones included, does not hold (CAM evaluates a condition on a missing key as false).
 */

type Scalar = string | number;

export interface Condition {
  op: string;
  key: string;
  /** Holds for the request's value of `key` (present). */
  test: (actual: string) => boolean;
  ifExists: boolean;
}

const NUMBER_RE = /^\d+(\.\d+)?$/;

const NUMERIC: Record<string, (a: number, b: number) => boolean> = {
  numeric_equal: (a, b) => a === b,
  numeric_not_equal: (a, b) => a !== b,
  numeric_less_than: (a, b) => a < b,
  numeric_less_than_equal: (a, b) => a <= b,
  numeric_greater_than: (a, b) => a > b,
  numeric_greater_than_equal: (a, b) => a >= b,
};

/**
 * string_like patterns: `*` only as prefix or suffix (`*abc`, `abc*`, `*abc*`), as the seed spec
 * reads 436/46205. A `*` inside (`a*c`) is refused at issue time instead of guessing how CAM
 * would match it.
 */
function likePattern(p: string, where: string): (a: string) => boolean {
  const star0 = p.startsWith('*');
  const star1 = p.length > 1 && p.endsWith('*');
  const core = p.slice(star0 ? 1 : 0, star1 ? -1 : undefined);
  if (core.includes('*')) throw new Error(`${where}: string_like allows * only as a prefix or suffix, got ${p}`);
  if (star0 && star1) return (a) => a.includes(core);
  if (star0) return (a) => a.endsWith(core);
  if (star1) return (a) => a.startsWith(core);
  return (a) => a === core;
}

/** ip_equal values: addresses or CIDR ranges, IPv4 or IPv6 (436/46205's example uses /24 ranges). */
function ipSet(values: Scalar[], where: string): (a: string) => boolean {
  const list = new BlockList();
  for (const v of values.map(String)) {
    const [addr, bits, extra] = v.split('/');
    const family = isIP(addr ?? '');
    if (!family || extra !== undefined) throw new Error(`${where}: ${v} is not an IP address or CIDR range`);
    const type = family === 4 ? 'ipv4' : 'ipv6';
    if (bits === undefined) list.addAddress(addr!, type);
    else if (/^\d+$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128)) list.addSubnet(addr!, Number(bits), type);
    else throw new Error(`${where}: ${v} has a bad prefix length`);
  }
  return (a) => {
    const family = isIP(a);
    return family !== 0 && list.check(a, family === 4 ? 'ipv4' : 'ipv6');
  };
}

/** One operator over a value list: positive ones hold if any value matches, negated ones if none does. */
function operator(base: string, values: Scalar[], where: string): ((actual: string) => boolean) | null {
  const cmp = NUMERIC[base];
  if (cmp) {
    if (!values.every((x) => NUMBER_RE.test(String(x).trim()))) throw new Error(`${where}: values must be numeric`);
    const nums = values.map(Number);
    // numeric_not_equal is its own comparison (a !== b), so it must hold against every value.
    const all = base === 'numeric_not_equal';
    return (a) =>
      NUMBER_RE.test(a.trim()) && (all ? nums.every((b) => cmp(Number(a), b)) : nums.some((b) => cmp(Number(a), b)));
  }
  let any: (a: string) => boolean;
  const negated = ['string_not_equal', 'string_not_like', 'ip_not_equal'].includes(base);
  const positive = negated ? base.replace('_not_', '_') : base;
  if (positive === 'string_equal') {
    const set = new Set(values.map(String));
    any = (a) => set.has(a);
  } else if (positive === 'string_like') {
    const tests = values.map((v) => likePattern(String(v), where));
    any = (a) => tests.some((t) => t(a));
  } else if (positive === 'ip_equal') {
    any = ipSet(values, where);
  } else {
    return null;
  }
  return negated ? (a) => !any(a) : any;
}

/** Parses a statement's `condition` block; throws Error for anything it cannot enforce exactly. */
export function parseConditions(v: unknown): Condition[] {
  if (v === undefined) return [];
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('condition must be an object');
  const out: Condition[] = [];
  for (const [op, block] of Object.entries(v)) {
    const o = op.toLowerCase();
    const ifExists = o.endsWith('_if_exist');
    const base = ifExists ? o.slice(0, -'_if_exist'.length) : o;
    if (typeof block !== 'object' || block === null || Array.isArray(block))
      throw new Error(`condition ${op} must map keys to values`);
    for (const [key, raw] of Object.entries(block)) {
      const values = (Array.isArray(raw) ? raw : [raw]) as unknown[];
      if (values.length === 0 || !values.every((x) => typeof x === 'string' || typeof x === 'number')) {
        throw new Error(`condition ${op} ${key}: values must be strings or numbers`);
      }
      const test = operator(base, values as Scalar[], `condition ${op} ${key}`);
      if (!test) throw new Error(`unsupported condition operator ${op}`);
      out.push({ op: o, key: key.toLowerCase(), test, ifExists });
    }
  }
  return out;
}

export function conditionHolds(c: Condition, context: Record<string, string | undefined>): boolean {
  const actual = context[c.key];
  if (actual === undefined) return c.ifExists;
  return c.test(actual);
}
