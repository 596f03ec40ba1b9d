import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  sdkError,
  signedFetch,
  startTestEmulator,
  TEST_SECRET_KEY,
  type TestEmulator,
} from '../helpers/cos-emulator.ts';

/** Simple objects through the official cos-nodejs-sdk-v5, plus the authentication failures. */

let t: TestEmulator;
beforeAll(async () => {
  t = await startTestEmulator();
});
afterAll(() => t.close());

describe('objects via the official COS SDK', () => {
  it('puts, heads, gets and deletes an object', async () => {
    const cos = t.cos();
    const body = Buffer.from('hello, local COS');
    const put = await cos.putObject({
      ...t.target,
      Key: 'docs/hello.txt',
      Body: body,
      ContentType: 'text/plain',
      Headers: { 'x-cos-meta-owner': 'alice' },
    });
    expect(put.statusCode).toBe(200);
    expect(put.ETag).toMatch(/^"[0-9a-f]{32}"$/);
    expect(put.headers?.['x-cos-hash-crc64ecma']).toMatch(/^\d+$/);

    const head = await cos.headObject({ ...t.target, Key: 'docs/hello.txt' });
    expect(head.headers?.['content-length']).toBe(String(body.length));
    expect(head.headers?.['content-type']).toBe('text/plain');
    expect(head.headers?.['x-cos-meta-owner']).toBe('alice');
    expect(head.ETag).toBe(put.ETag);

    const get = await cos.getObject({ ...t.target, Key: 'docs/hello.txt' });
    expect(Buffer.from(get.Body as Buffer).equals(body)).toBe(true);

    const range = await cos.getObject({ ...t.target, Key: 'docs/hello.txt', Range: 'bytes=7-11' });
    expect(range.statusCode).toBe(206);
    expect(Buffer.from(range.Body as Buffer).toString()).toBe('local');

    const del = await cos.deleteObject({ ...t.target, Key: 'docs/hello.txt' });
    expect(del.statusCode).toBe(204);
    const gone = await sdkError(cos.headObject({ ...t.target, Key: 'docs/hello.txt' }));
    expect(gone.statusCode).toBe(404);
    const missing = await sdkError(cos.getObject({ ...t.target, Key: 'docs/hello.txt' }));
    expect(missing.code).toBe('NoSuchKey');
  });

  it('round-trips keys with spaces, +, (, ), * and unicode', async () => {
    const cos = t.cos();
    const keys = [
      'with space/a b.bin',
      'plus+sign.bin',
      'paren (1).bin',
      'star*bang!.bin',
      '中文/文件 名+(2).png',
      'emoji 📦.txt',
    ];
    for (const [i, Key] of keys.entries()) {
      await cos.putObject({ ...t.target, Key, Body: Buffer.from(`body ${i}`) });
    }
    for (const [i, Key] of keys.entries()) {
      const got = await cos.getObject({ ...t.target, Key });
      expect(Buffer.from(got.Body as Buffer).toString()).toBe(`body ${i}`);
    }
    // '+' is a literal plus in a COS path, never a space.
    await expect(cos.headObject({ ...t.target, Key: 'plus sign.bin' })).rejects.toMatchObject({ statusCode: 404 });
  });

  it('also accepts the bucket as the first path segment (the API endpoint form)', async () => {
    await t.cos().putObject({ ...t.target, Key: 'path-style.txt', Body: Buffer.from('x') });
    const res = await signedFetch(t.emulator, { method: 'GET', key: 'path-style.txt' });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('x');
  });
});

describe('authentication', () => {
  it('rejects an unknown SecretId with InvalidAccessKeyId', async () => {
    const err = await sdkError(
      t.cos({ SecretId: 'AKIDNOTKNOWN', SecretKey: TEST_SECRET_KEY }).putObject({ ...t.target, Key: 'x', Body: 'x' }),
    );
    expect(err.statusCode).toBe(403);
    expect(err.code).toBe('InvalidAccessKeyId');
  });

  it('rejects a wrong SecretKey with SignatureDoesNotMatch', async () => {
    const err = await sdkError(t.cos({ SecretKey: 'wrong-secret-key' }).headObject({ ...t.target, Key: 'x' }));
    expect(err.statusCode).toBe(403);
    const body = await (await signedFetch(t.emulator, { method: 'GET', key: 'x', secretKey: 'wrong' })).text();
    expect(body).toContain('<Code>SignatureDoesNotMatch</Code>');
  });

  it('rejects anonymous requests with AccessDenied', async () => {
    const res = await fetch(`${t.emulator.bucketUrl}/anything`);
    expect(res.status).toBe(403);
    expect(res.headers.get('x-cos-request-id')).toBeTruthy();
    expect(await res.text()).toMatch(
      /<Error><Code>AccessDenied<\/Code><Message>.*<\/Message><Resource>.*<\/Resource><RequestId>.+<\/RequestId><TraceId>.+<\/TraceId><\/Error>/,
    );
  });

  it('rejects a signature outside its KeyTime window', async () => {
    t.clock.offsetMs = 3600_000; // the SDK signs for 900 s from its own clock
    try {
      const err = await sdkError(t.cos().headObject({ ...t.target, Key: 'x' }));
      expect(err.statusCode).toBe(403);
      const res = await signedFetch(t.emulator, { method: 'GET', key: 'x' });
      expect(await res.text()).toContain('Request has expired');
    } finally {
      t.clock.offsetMs = 0;
    }
  });

  it('rejects a signed header whose value changed (tampered Content-Type)', async () => {
    const cos = t.cos();
    cos.on('before-send', (opt: { headers: Record<string, string> }) => {
      opt.headers['Content-Type'] = 'text/html';
    });
    const err = await sdkError(
      cos.putObject({ ...t.target, Key: 'ct.bin', Body: Buffer.from('x'), ContentType: 'image/png' }),
    );
    expect(err.code).toBe('SignatureDoesNotMatch');
  });
});

describe('HTTP surface', () => {
  it('refuses a Content-MD5 that does not match the body', async () => {
    const res = await signedFetch(t.emulator, {
      method: 'PUT',
      key: 'md5.bin',
      body: 'abc',
      headers: { 'content-md5': Buffer.alloc(16).toString('base64') },
    });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('<Code>BadDigest</Code>');
  });
});
