import { describe, expect, it } from 'vitest';
import { cosResources, evaluate, parsePolicy } from '../../local/cos/policy.ts';

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
      '{"version":"2.0","statement":[{"effect":"allow","action":"*","resource":"*","condition":{"ip_equal":{"qcs:ip":"1.2.3.4"}}}]}',
      '{"version":"2.0","statement":[{"effect":"allow","action":"*","resource":"*","condition":{"numeric_equal":{"cos:content-length":"ten"}}}]}',
    ]) {
      expect(() => parsePolicy(bad)).toThrow();
    }
  });
});
