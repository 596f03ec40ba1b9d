import { randomBytes } from 'node:crypto';
import COS from 'cos-nodejs-sdk-v5';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestEmulator, type TestEmulator } from '../helpers/cos-emulator.ts';

/**
 * Presigned part PUTs made by the official SDK's getObjectUrl, sent with fetch as a browser would:
 * the signature binds content-length, the key, partNumber/uploadId and the time window.
 */

let t: TestEmulator;
let uploadId: string;
const KEY = 'presigned/part target (1).bin';
const SIZE = 64 * 1024;

beforeAll(async () => {
  t = await startTestEmulator();
  uploadId = (await t.cos().multipartInit({ ...t.target, Key: KEY })).UploadId;
});
afterAll(() => t.close());

function presign(cos: COS, key: string, partNumber: number, length: number, expires = 600): Promise<string> {
  return new Promise((resolve, reject) => {
    cos.getObjectUrl(
      {
        ...t.target,
        Key: key,
        Method: 'PUT',
        Sign: true,
        Expires: expires,
        Headers: { 'content-length': String(length) },
        Query: { partNumber: String(partNumber), uploadId },
      },
      (err, data) => (err ? reject(err) : resolve(data.Url)),
    );
  });
}

const put = (url: string, body: Uint8Array) => fetch(url, { method: 'PUT', body: new Uint8Array(body) });
const errorCode = async (res: Response) => /<Code>([^<]+)<\/Code>/.exec(await res.text())?.[1];

describe('presigned UploadPart URLs from getObjectUrl', () => {
  it('accepts a PUT with the signed length and records the part', async () => {
    const url = await presign(t.cos(), KEY, 1, SIZE);
    expect(url).toContain('q-signature=');
    const body = randomBytes(SIZE);
    const res = await put(url, body);
    expect(res.status).toBe(200);
    const etag = res.headers.get('etag');
    expect(etag).toMatch(/^"[0-9a-f]{32}"$/);
    const parts = await t.cos().multipartListPart({ ...t.target, Key: KEY, UploadId: uploadId });
    expect(parts.Part.map((p) => [p.PartNumber, p.ETag, p.Size])).toEqual([['1', etag, String(SIZE)]]);
  });

  it('rejects a different length', async () => {
    const url = await presign(t.cos(), KEY, 2, SIZE);
    const res = await put(url, randomBytes(SIZE - 1));
    expect(res.status).toBe(403);
    expect(await errorCode(res)).toBe('SignatureDoesNotMatch');
  });

  it('rejects the URL used for a different key', async () => {
    const url = await presign(t.cos(), KEY, 2, SIZE);
    const other = url.replace(
      encodeURIComponent('target (1)').replace(/[()]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`),
      'target%20%282%29',
    );
    expect(other).not.toBe(url);
    const res = await put(other, randomBytes(SIZE));
    expect(res.status).toBe(403);
    expect(await errorCode(res)).toBe('SignatureDoesNotMatch');
  });

  it('rejects a different partNumber', async () => {
    const url = await presign(t.cos(), KEY, 2, SIZE);
    const res = await put(url.replace('partNumber=2', 'partNumber=3'), randomBytes(SIZE));
    expect(res.status).toBe(403);
    expect(await errorCode(res)).toBe('SignatureDoesNotMatch');
  });

  it('a URL signed for part 5 never writes another part: a signed parameter repeated, in any letter case, is 403', async () => {
    const url = await presign(t.cos(), KEY, 5, SIZE);
    expect(url).toContain('partNumber=5&');
    for (const tampered of [
      url.replace('partNumber=5', 'partNumber=5&partNumber=7'),
      url.replace('partNumber=5', 'partNumber=7&partNumber=5'),
      url.replace('partNumber=5', 'partnumber=5&partNumber=7'),
      url.replace('partNumber=5', 'partNumber=7&PARTNUMBER=5'),
      url.replace('uploadId=', 'uploadid=x&uploadId='),
    ]) {
      const res = await put(tampered, randomBytes(SIZE));
      expect(res.status, tampered).toBe(403);
      expect(await errorCode(res)).toBe('SignatureDoesNotMatch');
    }
    const parts = await t.cos().multipartListPart({ ...t.target, Key: KEY, UploadId: uploadId });
    expect(parts.Part.map((p) => p.PartNumber)).not.toContain('7');
    expect(parts.Part.map((p) => p.PartNumber)).not.toContain('5');
    // The untampered URL still works.
    expect((await put(url, randomBytes(SIZE))).status).toBe(200);
  });

  it('rejects a URL past its window', async () => {
    const url = await presign(t.cos(), KEY, 2, SIZE, 60);
    t.clock.offsetMs = 120_000;
    try {
      const res = await put(url, randomBytes(SIZE));
      expect(res.status).toBe(403);
      expect(await errorCode(res)).toBe('AccessDenied');
    } finally {
      t.clock.offsetMs = 0;
    }
  });

  it('works with temporary keys: the token rides unsigned in the query', async () => {
    const policy = {
      version: '2.0',
      statement: [
        {
          effect: 'allow',
          action: ['name/cos:UploadPart'],
          resource: [`qcs::cos:${t.target.Region}:uid/1250000000:${t.target.Bucket}/${KEY}`],
          condition: { numeric_equal: { 'cos:content-length': SIZE } },
        },
      ],
    };
    const res = await t
      .stsClient()
      .GetFederationToken({ Name: 'presign', Policy: encodeURIComponent(JSON.stringify(policy)) });
    const c = res.Credentials!;
    const cos = new COS({
      SecretId: c.TmpSecretId!,
      SecretKey: c.TmpSecretKey!,
      SecurityToken: c.Token!,
      Protocol: 'http',
      Domain: `127.0.0.1:${t.emulator.port}`,
    });
    const url = await presign(cos, KEY, 4, SIZE);
    expect(url).toContain(`x-cos-security-token=${c.Token}`);
    expect((await put(url, randomBytes(SIZE))).status).toBe(200);
  });
});
