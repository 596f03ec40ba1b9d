import { createHash } from 'node:crypto';
import COS from 'cos-nodejs-sdk-v5';
import { describe, expect, it } from 'vitest';
import { isNoSuchUpload, isPartListRejected } from '../../shared/cos/cos-error.ts';
import { CosObjectStorage, type CosObjectStorageOptions } from '../../shared/cos/cos-object-storage.ts';
import { authorizationFields } from '../../shared/cos/signer.ts';
import { isStorageRejection, UploadError } from '../../shared/errors.ts';
import type { ObjectHeaders } from '../../shared/ports.ts';

const base = {
  endpoint: 'https://uploads-1250000000.cos.ap-guangzhou.myqcloud.com',
  bucket: 'uploads-1250000000',
  region: 'ap-guangzhou',
  secretId: 'AKIDunit',
  secretKey: 'unit-secret-key-0000000000000000',
};
const now = new Date('2024-05-01T12:00:00.500Z');
const nowSec = Math.floor(now.getTime() / 1000);

interface Seen {
  method: string;
  url: URL;
  headers: Record<string, string>;
  body: string | undefined;
}

/** Answers by a handler; records every request. */
function storage(handler: (r: Seen, n: number) => Response, over: Partial<CosObjectStorageOptions> = {}) {
  const seen: Seen[] = [];
  const fetch = (async (input: string | URL | Request, init?: RequestInit) => {
    const r = {
      method: init?.method ?? 'GET',
      url: new URL(String(input)),
      headers: { ...(init?.headers as Record<string, string>) },
      body: init?.body as string | undefined,
    };
    seen.push(r);
    return handler(r, seen.length);
  }) as typeof globalThis.fetch;
  const s = new CosObjectStorage({ ...base, fetch, retry: { baseDelayMs: 1, maxDelayMs: 2 }, now: () => now, ...over });
  return { s, seen };
}

const xml = (body: string, status = 200, headers: Record<string, string> = {}) =>
  new Response(body, { status, headers });
const errorXml = (code: string, status: number) =>
  xml(`<Error><Code>${code}</Code><Message>m</Message><RequestId>r</RequestId></Error>`, status);

async function rejection(p: Promise<unknown>): Promise<UploadError> {
  const e = await p.then(
    () => null,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(UploadError);
  return e as UploadError;
}

describe('presigned URLs', () => {
  it('an UploadPart URL signs partNumber, uploadId, content-length and host exactly as the SDK does', () => {
    const { s } = storage(() => xml(''), { sessionToken: 'tok+/=' });
    const key = 'u/my file (1)/照片.jpg';
    const p = s.presignUploadParts(key, 'up+id', [{ partNumber: 3, contentLength: 5_242_880 }], now, 600)[0]!;
    const url = new URL(p.url);
    expect(`${url.origin}${url.pathname}`).toBe(`${base.endpoint}/u/my%20file%20(1)/%E7%85%A7%E7%89%87.jpg`);
    const q = Object.fromEntries(url.searchParams);
    expect(q).toMatchObject({
      partNumber: '3',
      uploadId: 'up+id',
      'q-header-list': 'content-length;host',
      'q-url-param-list': 'partnumber;uploadid',
    });
    expect(q['x-cos-security-token']).toBe('tok+/=');
    // Content-Length is signed (q-header-list above) but not listed: browsers set it themselves.
    expect(p).toMatchObject({
      method: 'PUT',
      headers: {},
      expiresAt: new Date((nowSec + 600) * 1000).toISOString(),
    });

    const sdk = COS.getAuthorization({
      SecretId: base.secretId,
      SecretKey: base.secretKey,
      Method: 'PUT',
      Key: key,
      Query: { partNumber: 3, uploadId: 'up+id' },
      Headers: { 'Content-Length': 5_242_880, Host: url.host },
      KeyTime: q['q-key-time'],
    });
    expect(q['q-signature']).toBe(authorizationFields(sdk)['q-signature']);
    expect(q['q-key-time']!.split(';').map(Number)[1]).toBe(nowSec + 600);
  });

  it('many parts in one window share the window and differ only in what they sign', () => {
    const { s } = storage(() => xml(''));
    const urls = Array.from(
      { length: 3 },
      (_, i) =>
        new URL(s.presignUploadParts('u/k', 'id', [{ partNumber: i + 1, contentLength: 1024 }], now, 60)[0]!.url),
    );
    expect(new Set(urls.map((u) => u.searchParams.get('q-key-time'))).size).toBe(1);
    expect(new Set(urls.map((u) => u.searchParams.get('q-signature'))).size).toBe(3);
  });

  it('bad input is a 400, never a crash', () => {
    const { s } = storage(() => xml(''));
    const bad: (() => unknown)[] = [
      () => s.presignUploadParts('u/k', 'id', [{ partNumber: 0, contentLength: 1 }], now, 60)[0]!,
      () => s.presignUploadParts('u/k', 'id', [{ partNumber: 10_001, contentLength: 1 }], now, 60)[0]!,
      () => s.presignUploadParts('u/../k', 'id', [{ partNumber: 1, contentLength: 1 }], now, 60)[0]!,
      () => s.presignUploadParts('', 'id', [{ partNumber: 1, contentLength: 1 }], now, 60)[0]!,
      () => s.presignUploadParts('u/\ud800', 'id', [{ partNumber: 1, contentLength: 1 }], now, 60)[0]!,
      () => s.presignUploadParts('u/k', 'id', [{ partNumber: 1, contentLength: -1 }], now, 60)[0]!,
      () => s.presignUploadParts('u/k', 'id', [{ partNumber: 1, contentLength: 1 }], now, 0)[0]!,
      () => s.presignUploadParts('u/k', '', [{ partNumber: 1, contentLength: 1 }], now, 60)[0]!,
    ];
    for (const fn of bad) {
      let e: unknown;
      try {
        fn();
      } catch (err) {
        e = err;
      }
      expect(e).toMatchObject({ status: 400, code: 'VALIDATION_FAILED' });
    }
  });
});

describe('object headers at Initiate', () => {
  it('refuses what COS would: non-ASCII or odd header values, metadata names and sizes (400, nothing sent)', async () => {
    const { s, seen } = storage(() => xml(''));
    const refused: ObjectHeaders[] = [
      { contentType: 'text/plain', metadata: { note: 'café' } },
      { contentType: 'text/plain', metadata: { 'bad name': 'x' } },
      { contentType: 'text/plain\r\nx: y', metadata: {} },
      // COS takes [a-z0-9-] suffixes only, and 2 KB of metadata in all (436/7746, 436/7749).
      { contentType: 'text/plain', metadata: { a_b: 'x' } },
      { contentType: 'text/plain', metadata: { Owner: 'x' } },
      { contentType: 'text/plain', metadata: { big: 'x'.repeat(2048) } },
    ];
    for (const opts of refused) {
      await expect(s.initiateMultipart('u/k', opts), JSON.stringify(opts)).rejects.toMatchObject({
        status: 400,
        code: 'VALIDATION_FAILED',
      });
    }
    expect(seen).toHaveLength(0);
  });
});

describe('server-side calls', () => {
  it('initiate sends POST ?uploads with content-type and metadata, returns the UploadId', async () => {
    const { s, seen } = storage(() =>
      xml(
        '<InitiateMultipartUploadResult><Bucket>b</Bucket><Key>k</Key><UploadId>0123</UploadId></InitiateMultipartUploadResult>',
      ),
    );
    await expect(s.initiateMultipart('u/k', { contentType: 'video/mp4', metadata: { owner: 'a' } })).resolves.toBe(
      '0123',
    );
    const r = seen[0]!;
    expect([r.method, r.url.search]).toEqual(['POST', '?uploads']);
    expect(r.headers).toMatchObject({ 'content-type': 'video/mp4', 'x-cos-meta-owner': 'a' });
    expect(authorizationFields(r.headers.authorization!)['q-header-list']).toBe('content-type;host;x-cos-meta-owner');
  });

  it('listParts follows NextPartNumberMarker across pages', async () => {
    const part = (n: number) => `<Part><PartNumber>${n}</PartNumber><ETag>"e${n}"</ETag><Size>${n}</Size></Part>`;
    const { s, seen } = storage((r) =>
      r.url.searchParams.get('part-number-marker') === '2'
        ? xml(`<ListPartsResult>${part(3)}<IsTruncated>false</IsTruncated></ListPartsResult>`)
        : xml(
            `<ListPartsResult>${part(2)}${part(1)}<IsTruncated>true</IsTruncated><NextPartNumberMarker>2</NextPartNumberMarker></ListPartsResult>`,
          ),
    );
    const parts = await s.listParts('u/k', 'id');
    expect(parts.map((p) => p.partNumber)).toEqual([1, 2, 3]);
    expect(seen.map((r) => r.url.search)).toEqual(['?uploadId=id', '?uploadId=id&part-number-marker=2']);
  });

  it('listParts refuses a marker that does not advance (502), and maps NoSuchUpload', async () => {
    const stuck = storage(() =>
      xml(
        '<ListPartsResult><IsTruncated>true</IsTruncated><NextPartNumberMarker>5</NextPartNumberMarker></ListPartsResult>',
      ),
    );
    expect(await rejection(stuck.s.listParts('u/k', 'id'))).toMatchObject({ status: 502, code: 'STORAGE_UNAVAILABLE' });
    expect(stuck.seen).toHaveLength(2);
    const gone = storage(() => errorXml('NoSuchUpload', 404));
    const e = await rejection(gone.s.listParts('u/k', 'id'));
    expect(isStorageRejection(e, 'NoSuchUpload')).toBe(true);
    expect(isNoSuchUpload(e)).toBe(true);
  });

  it('complete posts the XML, retries a transient <Error> in the 200 body, reads the CRC header', async () => {
    const result =
      '<CompleteMultipartUploadResult><Location>b/u/k</Location><Bucket>b</Bucket><Key>u/k</Key><ETag>"x-2"</ETag></CompleteMultipartUploadResult>';
    const { s, seen } = storage((_r, n) =>
      n === 1
        ? xml('   \n<Error><Code>InternalError</Code><Message>late</Message><RequestId>r</RequestId></Error>')
        : xml(`  \n${result}`, 200, { 'x-cos-hash-crc64ecma': '11051210869376104954' }),
    );
    const done = await s.completeMultipart('u/k', 'id', [
      { partNumber: 1, etag: '"a"' },
      { partNumber: 2, etag: 'b' },
    ]);
    expect(done).toEqual({ etag: '"x-2"', location: 'b/u/k', crc64: '11051210869376104954' });
    expect(seen).toHaveLength(2);
    expect(seen[0]!.body).toContain('<Part><PartNumber>2</PartNumber><ETag>"b"</ETag></Part>');
    expect(seen[0]!.headers['content-type']).toBe('application/xml');
    // Content-MD5 of exactly the body sent, and signed.
    const md5 = createHash('md5').update(seen[0]!.body!).digest('base64');
    expect(seen[0]!.headers['content-md5']).toBe(md5);
    expect(authorizationFields(seen[0]!.headers.authorization!)['q-header-list']).toContain('content-md5');
  });

  it('complete takes a result without Location (the SDKs treat it as optional)', async () => {
    const { s } = storage(() =>
      xml('<CompleteMultipartUploadResult><ETag>"e-1"</ETag></CompleteMultipartUploadResult>'),
    );
    await expect(s.completeMultipart('u/k', 'id', [{ partNumber: 1, etag: 'a' }])).resolves.toEqual({
      etag: '"e-1"',
      location: null,
      crc64: null,
    });
  });

  it('RequestTimeTooSkewed: takes COS clock from Date, retries once at once, and signs URLs with it too', async () => {
    const cosTime = new Date(now.getTime() + 20 * 60_000); // COS is 20 minutes ahead of us
    const skewed = () =>
      xml('<Error><Code>RequestTimeTooSkewed</Code><Message>skewed</Message></Error>', 403, {
        date: cosTime.toUTCString(),
      });
    const { s, seen } = storage((r, n) => (n === 1 ? skewed() : xml('')));
    await s.deleteObject('u/k');
    expect(seen).toHaveLength(2);
    const keyTime = (auth: string) => Number(authorizationFields(auth)['q-key-time']!.split(';')[0]);
    expect(keyTime(seen[1]!.headers.authorization!) - keyTime(seen[0]!.headers.authorization!)).toBeGreaterThan(1100);
    const [url] = s.presignUploadParts('u/k', 'id', [{ partNumber: 1, contentLength: 1 }], now, 60);
    const urlStart = Number(new URL(url!.url).searchParams.get('q-key-time')!.split(';')[0]);
    expect(urlStart).toBeGreaterThan(nowSec + 1100); // COS's time, not ours
  });

  it('a clock error without a Date, or a second one, is not retried forever', async () => {
    const { s, seen } = storage(() => xml('<Error><Code>RequestTimeTooSkewed</Code><Message>m</Message></Error>', 403));
    await expect(s.deleteObject('u/k')).rejects.toMatchObject({ code: 'STORAGE_UNAVAILABLE' });
    expect(seen).toHaveLength(1);
  });

  it('complete surfaces a part-list refusal in the 200 body without retrying', async () => {
    const { s, seen } = storage(() => xml('<Error><Code>InvalidPart</Code><Message>m</Message></Error>'));
    const e = await rejection(s.completeMultipart('u/k', 'id', [{ partNumber: 1, etag: 'a' }]));
    expect(seen).toHaveLength(1);
    expect(isPartListRejected(e)).toBe(true);
    expect(e).toMatchObject({ status: 502, details: { reason: 'InvalidPart' } });
  });

  it('complete without a CRC header gives crc64 null', async () => {
    const { s } = storage(() =>
      xml('<CompleteMultipartUploadResult><Location>l</Location><ETag>"e"</ETag></CompleteMultipartUploadResult>'),
    );
    await expect(s.completeMultipart('u/k', 'id', [{ partNumber: 1, etag: 'a' }])).resolves.toMatchObject({
      crc64: null,
    });
  });

  it('abort treats NoSuchUpload as done; other refusals still throw', async () => {
    await expect(storage(() => errorXml('NoSuchUpload', 404)).s.abortMultipart('u/k', 'id')).resolves.toBeUndefined();
    await expect(
      storage(() => new Response(null, { status: 204 })).s.abortMultipart('u/k', 'id'),
    ).resolves.toBeUndefined();
    expect(await rejection(storage(() => errorXml('AccessDenied', 403)).s.abortMultipart('u/k', 'id'))).toMatchObject({
      details: { reason: 'AccessDenied' },
    });
  });

  it('headObject: 404 → null, 200 → size, etag, crc64, content-type', async () => {
    await expect(storage(() => new Response(null, { status: 404 })).s.headObject('u/k')).resolves.toBeNull();
    const head = new Response(null, {
      status: 200,
      headers: { 'content-length': '42', etag: '"abc"', 'x-cos-hash-crc64ecma': '7', 'content-type': 'image/png' },
    });
    await expect(storage(() => head).s.headObject('u/k')).resolves.toEqual({
      size: 42,
      etag: '"abc"',
      crc64: '7',
      contentType: 'image/png',
    });
  });

  it('deleteObject accepts 204 and 404', async () => {
    await expect(storage(() => new Response(null, { status: 204 })).s.deleteObject('u/k')).resolves.toBeUndefined();
    await expect(storage(() => errorXml('NoSuchKey', 404)).s.deleteObject('u/k')).resolves.toBeUndefined();
  });

  it('listMultipartUploads queries the bucket root with markers', async () => {
    const { s, seen } = storage(() =>
      xml(
        '<ListMultipartUploadsResult><Upload><Key>u/a</Key><UploadId>1</UploadId><Initiated>t</Initiated></Upload><IsTruncated>true</IsTruncated><NextKeyMarker>u/a</NextKeyMarker><NextUploadIdMarker>1</NextUploadIdMarker></ListMultipartUploadsResult>',
      ),
    );
    const page = await s.listMultipartUploads('u/', { keyMarker: 'u/0', uploadIdMarker: '0', maxUploads: 1 });
    expect(page).toEqual({
      uploads: [{ key: 'u/a', uploadId: '1', initiated: 't' }],
      isTruncated: true,
      nextKeyMarker: 'u/a',
      nextUploadIdMarker: '1',
    });
    expect(`${seen[0]!.url.pathname}${seen[0]!.url.search}`).toBe(
      '/?uploads&prefix=u%2F&key-marker=u%2F0&upload-id-marker=0&max-uploads=1',
    );
    expect(await rejection(s.listMultipartUploads('u/', { maxUploads: 0 }))).toMatchObject({ status: 400 });
    expect(await rejection(s.abortMultipart('u/k', ''))).toMatchObject({ status: 400 });
    expect(seen).toHaveLength(1);
  });
});

describe('construction', () => {
  it('refuses a bad endpoint, missing secrets and bad retry options', () => {
    expect(() => new CosObjectStorage({ ...base, endpoint: 'not a url' })).toThrow(TypeError);
    expect(() => new CosObjectStorage({ ...base, endpoint: 'ftp://x' })).toThrow(TypeError);
    expect(() => new CosObjectStorage({ ...base, secretKey: '' })).toThrow(TypeError);
    expect(() => new CosObjectStorage({ ...base, retry: { maxAttempts: 0 } })).toThrow(/maxAttempts/);
  });

  it('exposes bucket and region', () => {
    const s = new CosObjectStorage(base);
    expect([s.bucket, s.region]).toEqual([base.bucket, base.region]);
  });
});

describe('readRange (GET Object with Range, 436/7753)', () => {
  it('sends a signed Range and takes the 206 slice', async () => {
    const { s, seen } = storage(() => new Response(new Uint8Array([1, 2, 3]), { status: 206 }));
    expect([...(await s.readRange('u/a.bin', 0, 2))!]).toEqual([1, 2, 3]);
    expect(seen[0]!.headers.range).toBe('bytes=0-2');
    expect(authorizationFields(seen[0]!.headers.authorization!)['q-header-list']).toContain('range');
  });

  it('reads no more than asked when COS ignores the Range and streams the whole object', async () => {
    let pulled = 0;
    const chunk = new Uint8Array(64 * 1024).fill(7);
    const endless = new ReadableStream<Uint8Array>({
      pull(c) {
        pulled++;
        c.enqueue(chunk);
      },
    });
    const { s } = storage(() => new Response(endless, { status: 200 }));
    const head = await s.readRange('u/a.bin', 0, 4099);
    expect(head!.length).toBe(4100);
    expect(pulled).toBeLessThan(5);
    // From a later offset a whole object is not the slice asked for.
    const { s: later } = storage(() => new Response(new Uint8Array(10), { status: 200 }));
    await expect(later.readRange('u/a.bin', 5, 9)).rejects.toMatchObject({ code: 'STORAGE_UNAVAILABLE' });
  });

  it('null on 404, no bytes on 416 (an empty object)', async () => {
    const missing = storage(() => new Response('<Error><Code>NoSuchKey</Code></Error>', { status: 404 }));
    expect(await missing.s.readRange('u/a.bin', 0, 9)).toBeNull();
    const empty = storage(() => new Response('<Error><Code>InvalidRange</Code></Error>', { status: 416 }));
    expect((await empty.s.readRange('u/a.bin', 0, 9))!.length).toBe(0);
  });
});
