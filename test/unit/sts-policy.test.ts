import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cosResources, evaluate, parsePolicy } from '../../local/cos/policy.ts';
import { objectKey } from '../../shared/core/keys.ts';
import { grantedActions, temporaryKeyGrant } from '../../shared/core/temporary-key-grant.ts';
import type { UploadRecord } from '../../shared/ports.ts';
import { camPolicy, cosObjectResource, encodePolicy } from '../../shared/sts/policy.ts';

type PolicyUpload = Pick<UploadRecord, 'strategy' | 'bucket' | 'region' | 'key' | 'partSize' | 'size' | 'contentType'>;
/** The core's grant and its CAM encoding, as the credentials route issues them. */
const uploadPolicy = (u: PolicyUpload) => {
  const grant = temporaryKeyGrant(u);
  return { allow: grantedActions(grant), policy: camPolicy(grant) };
};

const MiB = 1024 * 1024;
const base = { bucket: 'uploads-1250000000', region: 'ap-guangzhou', contentType: 'video/mp4' } as const;
const multipart = (key: string, partSize = 8 * MiB): PolicyUpload => ({
  ...base,
  strategy: 'multipart',
  key,
  partSize,
  size: null,
});
const single = (key: string, size: number, contentType = 'image/png'): PolicyUpload => ({
  ...base,
  strategy: 'single',
  key,
  partSize: size,
  size,
  contentType,
});

const FORBIDDEN_ACTIONS = [
  'name/cos:CompleteMultipartUpload',
  'name/cos:AbortMultipartUpload',
  'name/cos:InitiateMultipartUpload',
  'name/cos:*',
];
const allActions = (p: ReturnType<typeof uploadPolicy>) => p.policy.statement.flatMap((s) => s.action);
const allResources = (p: ReturnType<typeof uploadPolicy>) => p.policy.statement.flatMap((s) => s.resource);

/** The emulator's CAM evaluator, fed the policy exactly as STS receives it (URL-encoded JSON). */
const decide = (
  grant: ReturnType<typeof uploadPolicy>,
  action: string,
  key: string,
  context: Record<string, string | undefined> = {},
) =>
  evaluate(parsePolicy(decodeURIComponent(encodePolicy(grant.policy))), {
    action: `name/cos:${action}`,
    resources: cosResources(base.region, base.bucket, key),
    context,
  });

describe('cosObjectResource', () => {
  it('is qcs::cos:<region>:uid/<appid>:<bucket>/<key> with the APPID from the bucket', () => {
    expect(cosObjectResource('ap-guangzhou', 'uploads-1250000000', 'u/ab/upl_1/a.bin')).toBe(
      'qcs::cos:ap-guangzhou:uid/1250000000:uploads-1250000000/u/ab/upl_1/a.bin',
    );
  });

  it('keeps spaces and unicode literally (CAM matches the decoded key)', () => {
    expect(cosObjectResource('ap-beijing', 'my-bucket-1300000001', 'u/x/holiday photo 假期 ü.jpg')).toBe(
      'qcs::cos:ap-beijing:uid/1300000001:my-bucket-1300000001/u/x/holiday photo 假期 ü.jpg',
    );
  });

  it.each([
    ['a * in the file name', 'u/ab/upl_1/photo*.jpg'],
    ['a lone *', '*'],
    ['a trailing wildcard', 'u/ab/*'],
  ])('refuses %s', (_what, key) => {
    expect(() => cosObjectResource('ap-guangzhou', 'uploads-1250000000', key)).toThrow(/wildcard/);
  });

  it('refuses a wildcard or an empty value anywhere, and a bucket without an APPID', () => {
    expect(() => cosObjectResource('ap-guangzhou', 'uploads-*', 'k')).toThrow(/wildcard/);
    expect(() => cosObjectResource('*', 'uploads-1250000000', 'k')).toThrow(/wildcard/);
    expect(() => cosObjectResource('ap-guangzhou', 'uploads-1250000000', '')).toThrow(/empty key/);
    expect(() => cosObjectResource('ap-guangzhou', 'uploads', 'k')).toThrow(/APPID/);
  });
});

describe('uploadPolicy — multipart', () => {
  const key = 'u/0123456789abcdef/upl_abc/my clip (1).mp4';
  const grant = uploadPolicy(multipart(key, 5 * MiB));

  it('allows UploadPart bounded by the part size and ListParts, on the exact object only', () => {
    expect(grant.allow).toEqual(['name/cos:UploadPart', 'name/cos:ListParts']);
    const resource = [`qcs::cos:ap-guangzhou:uid/1250000000:uploads-1250000000/${key}`];
    expect(grant.policy).toEqual({
      version: '2.0',
      statement: [
        {
          effect: 'allow',
          action: ['name/cos:UploadPart'],
          resource,
          condition: { numeric_less_than_equal: { 'cos:content-length': 5 * MiB } },
        },
        { effect: 'allow', action: ['name/cos:ListParts'], resource },
      ],
    });
  });

  it('serializes to the JSON CAM expects: lowercase elements, a numeric bound', () => {
    const json = JSON.stringify(grant.policy);
    expect(json).toContain('"condition":{"numeric_less_than_equal":{"cos:content-length":5242880}}');
    expect(json).toMatch(/^\{"version":"2\.0","statement":\[\{"effect":"allow","action":/);
    expect(decodeURIComponent(encodePolicy(grant.policy))).toBe(json);
    expect(encodePolicy(grant.policy)).not.toMatch(/[{}":\s]/);
  });

  it('never grants Initiate, Complete, Abort, PutObject or a wildcard action', () => {
    for (const a of [...FORBIDDEN_ACTIONS, 'name/cos:PutObject']) expect(allActions(grant)).not.toContain(a);
    expect(grant.policy.statement.every((s) => s.effect === 'allow')).toBe(true);
  });

  it('as enforced: parts up to the part size pass, a larger part, other keys and other operations do not', () => {
    expect(decide(grant, 'UploadPart', key, { 'cos:content-length': String(5 * MiB) })).toBe('allow');
    expect(decide(grant, 'UploadPart', key, { 'cos:content-length': '1' })).toBe('allow');
    expect(decide(grant, 'UploadPart', key, { 'cos:content-length': String(5 * MiB + 1) })).toBe('implicitDeny');
    expect(decide(grant, 'UploadPart', key, {})).toBe('implicitDeny');
    expect(decide(grant, 'ListParts', key)).toBe('allow');
    expect(decide(grant, 'UploadPart', `${key}x`, { 'cos:content-length': '1' })).toBe('implicitDeny');
    expect(decide(grant, 'UploadPart', 'u/0123456789abcdef/upl_other/a.bin', { 'cos:content-length': '1' })).toBe(
      'implicitDeny',
    );
    for (const op of [
      'CompleteMultipartUpload',
      'AbortMultipartUpload',
      'InitiateMultipartUpload',
      'PutObject',
      'GetObject',
      'DeleteObject',
    ]) {
      expect(decide(grant, op, key, { 'cos:content-length': '1' })).toBe('implicitDeny');
    }
  });

  it('refuses a key with * and a part size that is not a positive byte count', () => {
    expect(() => uploadPolicy(multipart('u/ab/upl_1/*.mp4'))).toThrow(/wildcard/);
    expect(() => uploadPolicy(multipart('u/ab/upl_1/a.mp4', 0))).toThrow(/partSize/);
    expect(() => uploadPolicy(multipart('u/ab/upl_1/a.mp4', 1.5))).toThrow(/partSize/);
  });
});

describe('uploadPolicy — single (part 1 of a one-part multipart upload)', () => {
  const key = 'u/0123456789abcdef/upl_abc/头像 1.png';
  const grant = uploadPolicy(single(key, 123_456, 'image/png'));

  it('allows UploadPart up to the size and ListParts, and no PutObject', () => {
    expect(grant.allow).toEqual(['name/cos:UploadPart', 'name/cos:ListParts']);
    expect(grant.policy.statement[0]).toEqual({
      effect: 'allow',
      action: ['name/cos:UploadPart'],
      resource: [`qcs::cos:ap-guangzhou:uid/1250000000:uploads-1250000000/${key}`],
      condition: { numeric_less_than_equal: { 'cos:content-length': 123_456 } },
    });
    for (const a of [...FORBIDDEN_ACTIONS, 'name/cos:PutObject']) expect(allActions(grant)).not.toContain(a);
  });

  it('as enforced: a part of the size passes; PutObject (which could overwrite the object) never does', () => {
    const ok = { 'cos:content-length': '123456' };
    expect(decide(grant, 'UploadPart', key, ok)).toBe('allow');
    expect(decide(grant, 'UploadPart', key, { 'cos:content-length': '123457' })).toBe('implicitDeny');
    expect(decide(grant, 'PutObject', key, { ...ok, 'cos:content-type': 'image/png' })).toBe('implicitDeny');
    expect(decide(grant, 'UploadPart', 'u/0123456789abcdef/upl_abc/other.png', ok)).toBe('implicitDeny');
  });

  it('refuses a part size that is not a positive byte count', () => {
    expect(() => uploadPolicy(single('u/a/upl_1/empty', 0))).toThrow(/partSize/);
  });
});

describe('properties', () => {
  it('any file name, once made into a key by the core, yields exactly that one object and no wildcard', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 80 }), fc.boolean(), (fileName, isSingle) => {
        const key = objectKey('u/', 'owner@example.com', 'upl_0123456789abcdefghij', fileName);
        const grant = uploadPolicy(isSingle ? single(key, 10) : multipart(key));
        const expected = `qcs::cos:ap-guangzhou:uid/1250000000:uploads-1250000000/${key}`;
        expect(allResources(grant).every((r) => r === expected)).toBe(true);
        expect(JSON.stringify(grant.policy)).not.toContain('*');
      }),
    );
  });

  it('any key holding a * is refused', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), fc.boolean(), (before, after, isSingle) => {
        const key = `u/a/upl_1/${before}*${after}`;
        expect(() => uploadPolicy(isSingle ? single(key, 10) : multipart(key))).toThrow(/wildcard/);
      }),
    );
  });
});
