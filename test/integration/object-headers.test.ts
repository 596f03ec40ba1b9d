import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { upload as clientUpload } from '../../client/upload.ts';
import type { LocalStack } from '../../local/stack.ts';
import { apiClient, bytesOf, expectError, putPart } from '../helpers/api-client.ts';
import { headObject, officialCos } from '../helpers/official-cos.ts';
import { startTestStack, type TestStack } from '../helpers/test-stack.ts';

/**
 * docs/API.md create "Object headers" and part-urls `parts[].md5` / `trafficLimit`: what create
 * sets is what COS's HEAD (the official SDK) shows after complete, for a single and a multipart
 * upload; a part PUT cannot change it; an MD5-bound URL refuses other bytes of the same length.
 */
let testStack: TestStack | undefined;
let stack: LocalStack;
let alice: ReturnType<typeof apiClient>;

const MiB = 1024 * 1024;
const md5 = (b: Uint8Array) => createHash('md5').update(b).digest('base64');

beforeAll(async () => {
  testStack = await startTestStack('object-headers', {
    env: { ALLOWED_STORAGE_CLASSES: 'STANDARD,STANDARD_IA,ARCHIVE', TRAFFIC_LIMIT_BPS: '838860800' },
  });
  stack = testStack.stack;
  alice = apiClient(stack.apiUrl, await stack.token('alice'));
});
afterAll(() => testStack?.stop());

const headers = {
  storageClass: 'STANDARD_IA',
  cacheControl: 'private, max-age=600',
  contentDisposition: "attachment; filename*=UTF-8''r%C3%A9sum%C3%A9.pdf",
  contentEncoding: 'identity',
  contentLanguage: 'en-GB',
  expires: 'Thu, 31 Dec 2026 23:59:59 GMT',
};

async function expectObjectHeaders(key: string) {
  const head = await headObject(officialCos(stack.cosUrl), stack, key);
  expect(head.headers['x-cos-storage-class']).toBe('STANDARD_IA');
  expect(head.headers['cache-control']).toBe(headers.cacheControl);
  expect(head.headers['content-disposition']).toBe(headers.contentDisposition);
  expect(head.headers['content-encoding']).toBe(headers.contentEncoding);
  expect(head.headers['content-language']).toBe(headers.contentLanguage);
  expect(head.headers.expires).toBe(headers.expires);
  expect(head.headers['content-type']).toBe('application/pdf');
}

/** Sends every part of `file` through its URL (sending the listed headers plus `extra`), then completes. */
async function upload(file: Uint8Array<ArrayBuffer>, extra: Record<string, string> = {}) {
  const created = await alice.create({
    fileName: 'cv.pdf',
    size: file.length,
    contentType: 'application/pdf',
    ...headers,
  });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  const up = created.body.upload;
  expect(up).toMatchObject(headers);
  const numbers = Array.from({ length: up.partCount! }, (_, i) => i + 1);
  const urls = (await alice.partUrls(up.id, { partNumbers: numbers })).body.urls;
  const parts = [];
  for (const u of urls) {
    const put = await putPart(u, file.subarray((u.partNumber - 1) * up.partSize, u.partNumber * up.partSize), extra);
    expect(put.status, put.text).toBe(200);
    parts.push({ partNumber: u.partNumber, etag: put.etag! });
  }
  const done = await alice.complete(up.id, { parts });
  expect(done.status, JSON.stringify(done.body)).toBe(200);
  expect(done.body.upload).toMatchObject({ state: 'completed', ...headers });
  return up;
}

describe('object headers set at create', () => {
  it('a single upload: HEAD after complete shows every header create set', async () => {
    const up = await upload(bytesOf(20_000, 3));
    expect(up.strategy).toBe('single');
    await expectObjectHeaders(up.key);
  });

  it('a multipart upload: the same, and parts PUT with other object headers change nothing', async () => {
    const up = await upload(bytesOf(2 * MiB + 5, 4), {
      'x-cos-storage-class': 'ARCHIVE',
      'Content-Disposition': 'inline',
      'Cache-Control': 'no-store',
    });
    expect(up.strategy).toBe('multipart');
    await expectObjectHeaders(up.key);
  });

  it('a 0-byte file gets them on the PUT the server makes', async () => {
    const created = await alice.create({ fileName: 'cv.pdf', size: 0, contentType: 'application/pdf', ...headers });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body.upload).toMatchObject({ state: 'completed', ...headers });
    await expectObjectHeaders(created.body.upload.key);
  });

  it('a storage class outside ALLOWED_STORAGE_CLASSES is 400 naming storageClass; a non-COS one too', async () => {
    for (const storageClass of ['DEEP_ARCHIVE', 'GLACIER']) {
      const r = await alice.create({ fileName: 'a.bin', size: 10, storageClass });
      expectError(r, 400, 'VALIDATION_FAILED');
      expect(JSON.stringify(r.body)).toContain('storageClass');
    }
    const bad = await alice.create({ fileName: 'a.bin', size: 10, expires: 'tomorrow' });
    expectError(bad, 400, 'VALIDATION_FAILED');
    expect(JSON.stringify(bad.body)).toContain('expires');
    const plain = await alice.create({ fileName: 'a.bin', size: 10 });
    expect(plain.body.upload).toMatchObject({ storageClass: 'STANDARD', cacheControl: null, expires: null });
  });

  it('GET /v1/limits lists the allowed classes', async () => {
    const res = await fetch(`${stack.apiUrl}/v1/limits`);
    expect(((await res.json()) as { allowedStorageClasses: string[] }).allowedStorageClasses).toEqual([
      'STANDARD',
      'STANDARD_IA',
      'ARCHIVE',
    ]);
  });
});

describe('part-urls with parts[].md5 and trafficLimit', () => {
  it('binds Content-MD5: the right bytes go in, other bytes of the same length are BadDigest', async () => {
    // Small, so that the 1 Mbit/s asked for costs little time.
    const part1 = bytesOf(20_000, 5);
    const up = (await alice.create({ fileName: 'm.bin', size: part1.length })).body.upload;
    const r = await alice.partUrls(up.id, { parts: [{ partNumber: 1, md5: md5(part1) }], trafficLimit: 1_000_000 });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    const url = r.body.urls[0]!;
    expect(url.headers).toEqual({ 'Content-MD5': md5(part1), 'x-cos-traffic-limit': '1000000' });
    expect(new URL(url.url).searchParams.get('q-header-list')).toBe(
      'content-length;content-md5;host;x-cos-traffic-limit',
    );

    const other = bytesOf(part1.length, 99);
    const refused = await putPart(url, other);
    expect(refused.status).toBe(400);
    expect(refused.text).toContain('<Code>BadDigest</Code>');
    // The header cannot be dropped or swapped either: it is signed.
    const unsigned = await putPart({ ...url, headers: {} }, part1);
    expect(unsigned.status).toBe(403);
    const swapped = await putPart({ ...url, headers: { ...url.headers, 'Content-MD5': md5(other) } }, other);
    expect(swapped.status).toBe(403);
    const ok = await putPart(url, part1);
    expect(ok.status, ok.text).toBe(200);
    expect(ok.etag).toBe(`"${createHash('md5').update(part1).digest('hex')}"`);
  });

  it('TRAFFIC_LIMIT_BPS applies without a trafficLimit, and wins when it is lower', async () => {
    const up = (await alice.create({ fileName: 't.bin', size: 2 * MiB })).body.upload;
    const forced = (await alice.partUrls(up.id, { partNumbers: [1] })).body.urls[0]!;
    expect(forced.headers).toEqual({ 'x-cos-traffic-limit': '838860800' });
    const lower = (await alice.partUrls(up.id, { partNumbers: [1], trafficLimit: 900_000 })).body.urls[0]!;
    expect(lower.headers).toEqual({ 'x-cos-traffic-limit': '900000' });
  });

  it('refuses both or neither of partNumbers and parts, a malformed md5, a trafficLimit outside COS range', async () => {
    const up = (await alice.create({ fileName: 'v.bin', size: 2 * MiB })).body.upload;
    const good = md5(new Uint8Array(1));
    for (const body of [
      {},
      { partNumbers: [1], parts: [{ partNumber: 2, md5: good }] },
      { parts: [{ partNumber: 1, md5: 'abc' }] },
      { parts: [{ partNumber: 1, md5: Buffer.alloc(17).toString('base64') }] },
      {
        parts: [
          { partNumber: 1, md5: good },
          { partNumber: 1, md5: good },
        ],
      },
      { parts: [{ partNumber: 3, md5: good }] },
      { partNumbers: [1], trafficLimit: 819_199 },
      { partNumbers: [1], trafficLimit: 838_860_801 },
      { partNumbers: [1], trafficLimit: 1e6 + 0.5 },
    ]) {
      expectError(await alice.partUrls(up.id, body), 400, 'VALIDATION_FAILED');
    }
  });
});

describe('the client SDK against the local stack', () => {
  it('md5: true with object headers and a traffic limit: completes, and COS has the headers', async () => {
    const file = bytesOf(2 * MiB + 300, 8);
    const done = await clientUpload(file, {
      baseUrl: stack.apiUrl,
      token: await stack.token('alice'),
      fileName: 'cv.pdf',
      contentType: 'application/pdf',
      md5: true,
      trafficLimit: 838_860_800,
      ...headers,
    });
    expect(done).toMatchObject({ state: 'completed', strategy: 'multipart', size: file.length, ...headers });
    await expectObjectHeaders(done.key);
  });
});
