import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { Faults } from '../../local/cos/faults.ts';
import { parseRange } from '../../local/cos/objects.ts';
import { parseTarget, resolveOp } from '../../local/cos/request.ts';

/** Addressing, operation routing, ranges and the fault table, without a server. */

const BUCKET = 'uploads-1250000000';
const buckets = new Set([BUCKET]);
const req = (method: string, headers: Record<string, string> = {}) =>
  ({ method, headers }) as unknown as IncomingMessage;

describe('parseTarget', () => {
  it('strips a known bucket segment, else uses the default bucket; decodes like COS', () => {
    expect(parseTarget('/uploads-1250000000/a%20b%2B(1).bin?partNumber=1&uploadId=x', BUCKET, buckets)).toMatchObject({
      bucket: BUCKET,
      key: 'a b+(1).bin',
    });
    expect(parseTarget('/a+b/%E4%B8%AD.txt', BUCKET, buckets).key).toBe('a+b/中.txt');
    expect(parseTarget('/other-bucket/k', BUCKET, buckets).key).toBe('other-bucket/k');
    expect(parseTarget('/uploads-1250000000', BUCKET, buckets).key).toBe('');
    const q = parseTarget('/?uploads&prefix=a%2Fb&max-uploads=2', BUCKET, buckets).query;
    expect([...q]).toEqual([
      ['uploads', ''],
      ['prefix', 'a/b'],
      ['max-uploads', '2'],
    ]);
    expect(() => parseTarget('/bad%E4', BUCKET, buckets)).toThrow(/parse/);
  });
});

describe('resolveOp', () => {
  const op = (method: string, url: string, headers?: Record<string, string>) =>
    resolveOp(req(method, headers), parseTarget(url, BUCKET, buckets));
  it('maps method and query to the COS operation', () => {
    expect(op('PUT', '/k')).toBe('PutObject');
    expect(op('PUT', '/k?partNumber=1&uploadId=u')).toBe('UploadPart');
    expect(op('GET', '/k')).toBe('GetObject');
    expect(op('GET', '/k?uploadId=u')).toBe('ListParts');
    expect(op('GET', '/?uploads')).toBe('ListMultipartUploads');
    expect(op('HEAD', '/k')).toBe('HeadObject');
    expect(op('DELETE', '/k')).toBe('DeleteObject');
    expect(op('DELETE', '/k?uploadId=u')).toBe('AbortMultipartUpload');
    expect(op('POST', '/k?uploads')).toBe('InitiateMultipartUpload');
    expect(op('POST', '/k?uploadId=u')).toBe('CompleteMultipartUpload');
    expect(op('POST', '/k?append&position=0')).toBe('AppendObject');
    expect(op('PUT', '/k', { 'x-cos-copy-source': 'b/k' })).toBe('PutObjectCopy');
    expect(op('PUT', '/k?partNumber=1&uploadId=u', { 'x-cos-copy-source': 'b/k' })).toBe('UploadPartCopy');
  });
  it('refuses what is not emulated with COS errors', () => {
    expect(() => op('PATCH', '/k')).toThrow(expect.objectContaining({ status: 405 }));
    expect(() => op('GET', '/')).toThrow(expect.objectContaining({ status: 501 }));
    expect(() => op('POST', '/k')).toThrow(expect.objectContaining({ code: 'NotImplemented' }));
    expect(() => op('PUT', '/')).toThrow(expect.objectContaining({ code: 'InvalidArgument' }));
  });
});

describe('parseRange', () => {
  it('handles the three single-range forms and refuses unsatisfiable ones', () => {
    expect(parseRange('bytes=0-9', 100)).toEqual({ start: 0, end: 9 });
    expect(parseRange('bytes=90-', 100)).toEqual({ start: 90, end: 99 });
    expect(parseRange('bytes=-10', 100)).toEqual({ start: 90, end: 99 });
    expect(parseRange('bytes=50-1000', 100)).toEqual({ start: 50, end: 99 });
    expect(parseRange(undefined, 100)).toBeNull();
    expect(parseRange('items=1-2', 100)).toBeNull();
    expect(() => parseRange('bytes=100-', 100)).toThrow(expect.objectContaining({ status: 416 }));
  });
});

describe('Faults', () => {
  it('fires in order, counts down, honours probability with the injected random', () => {
    let r = 0.9;
    const f = new Faults(() => r);
    f.add({ op: 'UploadPart', probability: 0.5, count: 2, action: { type: 'drop' } });
    const t = { op: 'UploadPart' as const, method: 'PUT', key: 'k' };
    expect(f.take(t)).toBeNull();
    r = 0.1;
    expect(f.take(t)).toEqual({ type: 'drop' });
    expect(f.take(t)).toEqual({ type: 'drop' });
    expect(f.take(t)).toBeNull();
    expect(f.hits).toBe(2);
  });
  it('matches completeError only on Complete and validates rules', () => {
    const f = new Faults();
    f.add({ action: { type: 'completeError' } });
    expect(f.take({ op: 'UploadPart', method: 'PUT', key: 'k' })).toBeNull();
    expect(f.take({ op: 'CompleteMultipartUpload', method: 'POST', key: 'k' })).toEqual({ type: 'completeError' });
    expect(() => f.add({ op: 'Nope' as 'PutObject', action: { type: 'drop' } })).toThrow(/unknown op/);
    expect(() => f.add({ probability: 2, action: { type: 'drop' } })).toThrow(/probability/);
    expect(() => f.add({ action: { type: 'delay', ms: -1 } })).toThrow(/delay/);
  });
});
