import { describe, expect, it } from 'vitest';
import { cosResources, evaluate, otherAccountResource, parsePolicy } from '../../local/cos/policy.ts';

/** The CAM policy subset the emulator enforces for temporary keys. */

const BUCKET = 'uploads-1250000000';
const res = (key: string) => cosResources('ap-guangzhou', BUCKET, key);
const ctx = (length?: number, type?: string) => ({
  'cos:content-length': length === undefined ? undefined : String(length),
  'cos:content-type': type,
});
const policy = (...statement: object[]) => parsePolicy(JSON.stringify({ version: '2.0', statement }));
const OBJ = `qcs::cos:ap-guangzhou:uid/1250000000:${BUCKET}/u/a/file.bin`;

describe('policy evaluation', () => {
  it('allows only listed actions on matching resources, with * wildcards', () => {
    const p = policy({
      effect: 'allow',
      action: ['name/cos:PutObject'],
      resource: [`qcs::cos:ap-guangzhou:uid/1250000000:${BUCKET}/u/a/*`],
    });
    expect(evaluate(p, { action: 'name/cos:PutObject', resources: res('u/a/file.bin'), context: ctx(1) })).toBe(
      'allow',
    );
    expect(evaluate(p, { action: 'name/cos:PutObject', resources: res('u/b/file.bin'), context: ctx(1) })).toBe(
      'implicitDeny',
    );
    expect(evaluate(p, { action: 'name/cos:GetObject', resources: res('u/a/file.bin'), context: ctx() })).toBe(
      'implicitDeny',
    );
    const all = policy({ effect: 'allow', action: 'name/cos:*', resource: '*' });
    expect(evaluate(all, { action: 'name/cos:DeleteObject', resources: res('x'), context: ctx() })).toBe('allow');
  });

  it('lets deny win over allow', () => {
    const p = policy(
      { effect: 'allow', action: ['name/cos:*'], resource: ['*'] },
      { effect: 'deny', action: ['name/cos:DeleteObject'], resource: [OBJ] },
    );
    expect(evaluate(p, { action: 'name/cos:DeleteObject', resources: res('u/a/file.bin'), context: ctx() })).toBe(
      'deny',
    );
    expect(evaluate(p, { action: 'name/cos:GetObject', resources: res('u/a/file.bin'), context: ctx() })).toBe('allow');
  });

  it('applies numeric conditions on cos:content-length (absent length fails the condition)', () => {
    const le = policy({
      effect: 'allow',
      action: ['name/cos:UploadPart'],
      resource: [OBJ],
      condition: { numeric_less_than_equal: { 'cos:content-length': 100 } },
    });
    const at = (n?: number) =>
      evaluate(le, { action: 'name/cos:UploadPart', resources: res('u/a/file.bin'), context: ctx(n) });
    expect([at(0), at(100), at(101), at(undefined)]).toEqual(['allow', 'allow', 'implicitDeny', 'implicitDeny']);
    const eq = policy({
      effect: 'allow',
      action: ['name/cos:PutObject'],
      resource: [OBJ],
      condition: { numeric_equal: { 'cos:content-length': '42' } },
    });
    expect(evaluate(eq, { action: 'name/cos:PutObject', resources: res('u/a/file.bin'), context: ctx(42) })).toBe(
      'allow',
    );
    expect(evaluate(eq, { action: 'name/cos:PutObject', resources: res('u/a/file.bin'), context: ctx(41) })).toBe(
      'implicitDeny',
    );
  });

  it('applies string_equal and string_like on cos:content-type', () => {
    const p = policy(
      {
        effect: 'allow',
        action: ['name/cos:PutObject'],
        resource: [OBJ],
        condition: { string_like: { 'cos:content-type': 'image/*' } },
      },
      {
        effect: 'deny',
        action: ['name/cos:PutObject'],
        resource: [OBJ],
        condition: { string_equal: { 'cos:content-type': 'image/svg+xml' } },
      },
    );
    const put = (type?: string) =>
      evaluate(p, { action: 'name/cos:PutObject', resources: res('u/a/file.bin'), context: ctx(1, type) });
    expect([put('image/png'), put('image/svg+xml'), put('text/html'), put(undefined)]).toEqual([
      'allow',
      'deny',
      'implicitDeny',
      'implicitDeny',
    ]);
  });

  it('matches the legacy prefix// resource form too', () => {
    const p = policy({
      effect: 'allow',
      action: ['name/cos:GetObject'],
      resource: ['qcs::cos:ap-guangzhou:uid/1250000000:prefix//1250000000/uploads/u/*'],
    });
    expect(evaluate(p, { action: 'name/cos:GetObject', resources: res('u/a/file.bin'), context: ctx() })).toBe('allow');
  });

  it('refuses malformed policies at parse time', () => {
    for (const bad of [
      'not json',
      '{}',
      '{"version":"2.0","statement":[]}',
      '{"version":"2.0","statement":[{"effect":"maybe","action":"*","resource":"*"}]}',
      '{"version":"2.0","statement":[{"effect":"allow","action":"*","resource":"*","condition":{"date_equal":{"qcs:current_time":"2030-01-01T00:00:00Z"}}}]}',
      '{"version":"2.0","statement":[{"effect":"allow","action":"*","resource":"*","condition":{"numeric_not_less_than":{"cos:content-length":1}}}]}',
      '{"version":"2.0","statement":[{"effect":"allow","action":"*","resource":"*","condition":{"string_like":{"cos:content-type":"image/*+xml"}}}]}',
      '{"version":"2.0","statement":[{"effect":"allow","action":"*","resource":"*","condition":{"string_not_like_if_exist":{"cos:content-type":"a*b*"}}}]}',
      '{"version":"2.0","statement":[{"effect":"allow","action":"*","resource":"*","condition":{"ip_equal":{"qcs:ip":"10.0.0.0/33"}}}]}',
      '{"version":"2.0","statement":[{"effect":"allow","action":"*","resource":"*","condition":{"ip_equal":{"qcs:ip":"localhost"}}}]}',
      '{"version":"2.0","statement":[{"effect":"allow","action":"*","resource":"*","condition":{"numeric_equal":{"cos:content-length":"ten"}}}]}',
    ]) {
      expect(() => parsePolicy(bad)).toThrow();
    }
  });

  /** One condition on a PutObject of OBJ; returns the decision for each request context. */
  const decide = (condition: object, ...contexts: Record<string, string | undefined>[]) => {
    const p = policy({ effect: 'allow', action: ['name/cos:PutObject'], resource: [OBJ], condition });
    return contexts.map((context) =>
      evaluate(p, { action: 'name/cos:PutObject', resources: res('u/a/file.bin'), context }),
    );
  };
  const len = (n?: string) => ({ 'cos:content-length': n });
  const type = (v?: string) => ({ 'cos:content-type': v });

  it('implements every documented numeric operator (absent key: the condition does not hold)', () => {
    const at = (op: string) => decide({ [op]: { 'cos:content-length': 10 } }, len('9'), len('10'), len('11'), len());
    expect(at('numeric_equal')).toEqual(['implicitDeny', 'allow', 'implicitDeny', 'implicitDeny']);
    expect(at('numeric_not_equal')).toEqual(['allow', 'implicitDeny', 'allow', 'implicitDeny']);
    expect(at('numeric_less_than')).toEqual(['allow', 'implicitDeny', 'implicitDeny', 'implicitDeny']);
    expect(at('numeric_less_than_equal')).toEqual(['allow', 'allow', 'implicitDeny', 'implicitDeny']);
    expect(at('numeric_greater_than')).toEqual(['implicitDeny', 'implicitDeny', 'allow', 'implicitDeny']);
    expect(at('numeric_greater_than_equal')).toEqual(['implicitDeny', 'allow', 'allow', 'implicitDeny']);
    // A value that is not a number never satisfies a numeric operator.
    expect(decide({ numeric_not_equal: { 'cos:content-length': 10 } }, len('ten'))).toEqual(['implicitDeny']);
  });

  it('implements the string operators; string_like takes * as prefix and/or suffix', () => {
    const at = (op: string, v: string) =>
      decide({ [op]: { 'cos:content-type': v } }, type('image/png'), type('text/png'), type('image/svg'), type());
    expect(at('string_equal', 'image/png')).toEqual(['allow', 'implicitDeny', 'implicitDeny', 'implicitDeny']);
    expect(at('string_not_equal', 'image/png')).toEqual(['implicitDeny', 'allow', 'allow', 'implicitDeny']);
    expect(at('string_like', 'image/*')).toEqual(['allow', 'implicitDeny', 'allow', 'implicitDeny']);
    expect(at('string_like', '*/png')).toEqual(['allow', 'allow', 'implicitDeny', 'implicitDeny']);
    expect(at('string_like', '*age*')).toEqual(['allow', 'implicitDeny', 'allow', 'implicitDeny']);
    expect(at('string_not_like', 'image/*')).toEqual(['implicitDeny', 'allow', 'implicitDeny', 'implicitDeny']);
    // Several values: a positive operator needs any, a negated one none.
    expect(decide({ string_not_equal: { 'cos:content-type': ['a', 'b'] } }, type('a'), type('c'))).toEqual([
      'implicitDeny',
      'allow',
    ]);
  });

  it('the _if_exist variants hold when the key is absent and test it when present', () => {
    expect(
      decide({ numeric_less_than_equal_if_exist: { 'cos:content-length': 5 } }, len(), len('5'), len('6')),
    ).toEqual(['allow', 'allow', 'implicitDeny']);
    expect(decide({ string_equal_if_exist: { 'cos:content-type': 'a/b' } }, type(), type('a/b'), type('c/d'))).toEqual([
      'allow',
      'allow',
      'implicitDeny',
    ]);
    for (const op of [
      'string_not_equal_if_exist',
      'string_like_if_exist',
      'string_not_like_if_exist',
      'numeric_equal_if_exist',
      'numeric_not_equal_if_exist',
      'numeric_less_than_if_exist',
      'numeric_greater_than_if_exist',
      'numeric_greater_than_equal_if_exist',
    ]) {
      const key = op.startsWith('numeric') ? 'cos:content-length' : 'cos:content-type';
      expect(decide({ [op]: { [key]: op.startsWith('numeric') ? 1 : 'x*' } }, {}), op).toEqual(['allow']);
    }
  });

  it('ip_equal / ip_not_equal match addresses and CIDR ranges, IPv4 and IPv6', () => {
    const ip = (v?: string) => ({ 'qcs:ip': v });
    expect(
      decide(
        { ip_equal: { 'qcs:ip': ['10.0.0.0/8', '192.168.1.7'] } },
        ip('10.2.3.4'),
        ip('192.168.1.7'),
        ip('11.0.0.1'),
        ip(),
      ),
    ).toEqual(['allow', 'allow', 'implicitDeny', 'implicitDeny']);
    expect(decide({ ip_not_equal: { 'qcs:ip': '127.0.0.0/8' } }, ip('127.0.0.1'), ip('8.8.8.8'))).toEqual([
      'implicitDeny',
      'allow',
    ]);
    expect(decide({ ip_equal_if_exist: { 'qcs:ip': '::1' } }, ip('::1'), ip('::2'), ip())).toEqual([
      'allow',
      'implicitDeny',
      'allow',
    ]);
  });

  it('names a resource of another APPID (for GrantOtherResource); such a resource never matches a request', () => {
    const other = `qcs::cos:ap-guangzhou:uid/1250000001:${BUCKET}/u/*`;
    const p = policy({ effect: 'allow', action: ['name/cos:*'], resource: [other] });
    expect(otherAccountResource(p, '1250000000')).toBe(other);
    expect(evaluate(p, { action: 'name/cos:GetObject', resources: res('u/a/file.bin'), context: ctx() })).toBe(
      'implicitDeny',
    );
    const legacy = 'qcs::cos:ap-guangzhou:uid/1250000000:prefix//1250000001/uploads/*';
    expect(otherAccountResource(policy({ effect: 'allow', action: '*', resource: legacy }), '1250000000')).toBe(legacy);
    for (const mine of [
      '*',
      OBJ,
      `qcs::cos:*:uid/*:${BUCKET}/*`,
      'qcs::cos:ap-guangzhou:uid/1250000000:prefix//1250000000/uploads/*',
    ])
      expect(otherAccountResource(policy({ effect: 'allow', action: '*', resource: mine }), '1250000000'), mine).toBe(
        undefined,
      );
  });
});
