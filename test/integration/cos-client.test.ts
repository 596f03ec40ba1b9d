import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sts } from 'tencentcloud-sdk-nodejs-sts';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type CosEmulator, startCosEmulator } from '../../local/cos/server.ts';
import { crc64 } from '../../shared/core/crc64.ts';
import { isNoSuchUpload, isPartListRejected } from '../../shared/cos/cos-error.ts';
import { CosObjectStorage, type CosObjectStorageOptions } from '../../shared/cos/cos-object-storage.ts';
import { isStorageRejection, UploadError } from '../../shared/errors.ts';
import type { PresignedRequest } from '../../shared/ports.ts';

const secretId = 'AKIDCOSCLIENTINTEGRATION00000000';
const secretKey = 'CosClientIntegrationSecret000000';
const bucket = 'uploads-1250000000';
const region = 'ap-guangzhou';
const MiB = 1024 * 1024;

let emu: CosEmulator;
let dataDir: string;
let cos: CosObjectStorage;

const client = (over: Partial<CosObjectStorageOptions> = {}) =>
  new CosObjectStorage({
    endpoint: emu.bucketUrl,
    bucket,
    region,
    secretId,
    secretKey,
    retry: { baseDelayMs: 1, maxDelayMs: 5 },
    ...over,
  });

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'cos-client-'));
  emu = await startCosEmulator({ port: 0, dataDir, secretId, secretKey, bucket, region });
  cos = client();
});
afterAll(async () => {
  await emu?.close();
  rmSync(dataDir, { recursive: true, force: true });
});
afterEach(() => emu.faults.clear());

let n = 0;
/** A fresh key per test so tests share the emulator without sharing state. */
const keyFor = (name: string) => `it/${++n}/${name}`;

/** As a browser does it: Content-Length comes from the body, whatever `headers` says. */
const sendable = (headers: Record<string, string>) =>
  Object.fromEntries(Object.entries(headers).filter(([k]) => k.toLowerCase() !== 'content-length'));

async function put(p: PresignedRequest, body: Uint8Array<ArrayBuffer>, url: string | URL = p.url): Promise<Response> {
  return fetch(url, { method: p.method, headers: sendable(p.headers), body });
}

async function uploadPart(
  key: string,
  uploadId: string,
  partNumber: number,
  body: Uint8Array<ArrayBuffer>,
): Promise<string> {
  const res = await put(
    cos.presignUploadParts(
      key,
      uploadId,
      [{ partNumber: partNumber, contentLength: body.length }],
      new Date(),
      600,
    )[0]!,
    body,
  );
  expect(res.status, await res.clone().text()).toBe(200);
  return res.headers.get('etag')!;
}

async function rejection(p: Promise<unknown>): Promise<UploadError> {
  const e = await p.then(
    () => null,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(UploadError);
  return e as UploadError;
}

describe('CosObjectStorage against the local COS emulator', () => {
  it('runs the whole multipart flow for a key with spaces, + ( ) and unicode', async () => {
    const key = keyFor('my file+(1) 夏天 🌞.bin');
    const uploadId = await cos.initiateMultipart(key, {
      contentType: 'application/octet-stream',
      metadata: { source: 'it test' },
    });
    const p1 = randomBytes(MiB);
    const p2 = randomBytes(1234);
    const etags = [await uploadPart(key, uploadId, 2, p2), await uploadPart(key, uploadId, 1, p1)].reverse();

    const parts = await cos.listParts(key, uploadId);
    expect(parts.map((p) => [p.partNumber, p.etag, p.size])).toEqual([
      [1, etags[0], MiB],
      [2, etags[1], 1234],
    ]);

    const done = await cos.completeMultipart(key, uploadId, parts);
    expect(done.etag).toMatch(/^"[0-9a-f]{32}-2"$/);
    const whole = crc64(Buffer.concat([p1, p2])).toString();
    expect(done.crc64).toBe(whole);

    const head = await cos.headObject(key);
    expect(head).toEqual({ size: MiB + 1234, etag: done.etag, crc64: whole, contentType: 'application/octet-stream' });

    await cos.deleteObject(key);
    expect(await cos.headObject(key)).toBeNull();
    await cos.deleteObject(key);
  });

  it("the server's own PUT Object (a 0-byte file) carries type and metadata and a Content-MD5", async () => {
    const key = keyFor('single (a+b).txt');
    const body = Buffer.from('hello, COS');
    const put = await cos.putObject(key, body, { contentType: 'text/plain', metadata: { note: 'x y' } });
    expect(put).toEqual({ etag: expect.stringMatching(/^"[0-9a-f]{32}"$/), crc64: crc64(body).toString() });
    expect(await cos.headObject(key)).toMatchObject({
      size: body.length,
      contentType: 'text/plain',
      crc64: crc64(body).toString(),
    });
  });

  it('a part URL with the wrong length or part number is refused', async () => {
    const key = keyFor('bound.bin');
    const uploadId = await cos.initiateMultipart(key, { contentType: 'application/octet-stream', metadata: {} });
    const p = cos.presignUploadParts(key, uploadId, [{ partNumber: 1, contentLength: 10 }], new Date(), 60)[0]!;
    expect((await put(p, new Uint8Array(11))).status).toBe(403);
    const other = new URL(p.url);
    other.searchParams.set('partNumber', '2');
    expect((await put(p, new Uint8Array(10), other)).status).toBe(403);
    expect((await put(p, new Uint8Array(10))).status).toBe(200);
    await cos.abortMultipart(key, uploadId);
  });

  it('lists more than one page of parts (1,001 one-byte parts)', async () => {
    const key = keyFor('many parts.bin');
    const uploadId = await cos.initiateMultipart(key, { contentType: 'application/octet-stream', metadata: {} });
    const numbers = Array.from({ length: 1001 }, (_, i) => i + 1);
    const queue = [...numbers];
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
          await uploadPart(key, uploadId, next, Uint8Array.of(next % 256));
        }
      }),
    );
    const parts = await cos.listParts(key, uploadId);
    expect(parts.map((p) => p.partNumber)).toEqual(numbers);
    expect(parts.every((p) => p.size === 1)).toBe(true);
    await cos.abortMultipart(key, uploadId);
  });

  it('Complete: an <Error> inside the 200 is retried when transient, surfaced when not', async () => {
    const key = keyFor('late error.bin');
    const uploadId = await cos.initiateMultipart(key, { contentType: 'application/octet-stream', metadata: {} });
    const parts = [{ partNumber: 1, etag: await uploadPart(key, uploadId, 1, randomBytes(100)) }];

    emu.faults.add({ op: 'CompleteMultipartUpload', count: 10, action: { type: 'completeError' } });
    const exhausted = await rejection(cos.completeMultipart(key, uploadId, parts));
    expect(exhausted).toMatchObject({ status: 503, code: 'STORAGE_UNAVAILABLE' });
    expect(exhausted.message).not.toMatch(/</);
    emu.faults.clear();

    emu.faults.add({ op: 'CompleteMultipartUpload', count: 1, action: { type: 'completeError', code: 'InvalidPart' } });
    expect(isPartListRejected(await rejection(cos.completeMultipart(key, uploadId, parts)))).toBe(true);

    emu.faults.add({ op: 'CompleteMultipartUpload', count: 1, action: { type: 'completeError' } });
    const hits = emu.faults.hits;
    const done = await cos.completeMultipart(key, uploadId, parts);
    expect(emu.faults.hits).toBe(hits + 1);
    expect(done.etag).toMatch(/-1"$/);
  });

  it("Complete: COS's own refusals map to the reasons the core branches on", async () => {
    const key = keyFor('refusals.bin');
    const uploadId = await cos.initiateMultipart(key, { contentType: 'application/octet-stream', metadata: {} });
    const e1 = await uploadPart(key, uploadId, 1, randomBytes(10));
    const e2 = await uploadPart(key, uploadId, 2, randomBytes(10));
    const wrongEtag = await rejection(cos.completeMultipart(key, uploadId, [{ partNumber: 1, etag: '"0000"' }]));
    expect(isStorageRejection(wrongEtag, 'InvalidPart')).toBe(true);
    const order = await rejection(
      cos.completeMultipart(key, uploadId, [
        { partNumber: 2, etag: e2 },
        { partNumber: 1, etag: e1 },
      ]),
    );
    expect(isStorageRejection(order, 'InvalidPartOrder')).toBe(true);
    const small = await rejection(
      cos.completeMultipart(key, uploadId, [
        { partNumber: 1, etag: e1 },
        { partNumber: 2, etag: e2 },
      ]),
    );
    expect(isStorageRejection(small, 'EntityTooSmall')).toBe(true);
    await cos.abortMultipart(key, uploadId);
    const gone = await rejection(cos.completeMultipart(key, uploadId, [{ partNumber: 1, etag: e1 }]));
    expect(isNoSuchUpload(gone)).toBe(true);
    expect(isNoSuchUpload(await rejection(cos.listParts(key, uploadId)))).toBe(true);
  });

  it('every server-side call survives two injected 503s', async () => {
    const key = keyFor('flaky.bin');
    const flaky = async <T>(op: Parameters<typeof emu.faults.add>[0]['op'], call: () => Promise<T>): Promise<T> => {
      const before = emu.faults.hits;
      emu.faults.add({
        op,
        count: 2,
        action: { type: 'error', status: 503, code: op === 'ListParts' ? 'SlowDown' : 'ServiceUnavailable' },
      });
      const out = await call();
      expect(emu.faults.hits - before, op).toBe(2);
      return out;
    };
    const uploadId = await flaky('InitiateMultipartUpload', () =>
      cos.initiateMultipart(key, { contentType: 'text/plain', metadata: {} }),
    );
    const etag = await uploadPart(key, uploadId, 1, Buffer.from('abc'));
    const parts = await flaky('ListParts', () => cos.listParts(key, uploadId));
    expect(parts).toHaveLength(1);
    await flaky('ListMultipartUploads', () => cos.listMultipartUploads(key));
    await flaky('CompleteMultipartUpload', () => cos.completeMultipart(key, uploadId, [{ partNumber: 1, etag }]));
    expect(await flaky('HeadObject', () => cos.headObject(key))).toMatchObject({ size: 3 });
    await flaky('DeleteObject', () => cos.deleteObject(key));
    const other = await cos.initiateMultipart(key, { contentType: 'text/plain', metadata: {} });
    await flaky('AbortMultipartUpload', () => cos.abortMultipart(key, other));
  });

  it('dropped connections and slow answers are retried; endless 503s end as STORAGE_UNAVAILABLE', async () => {
    const key = keyFor('network.bin');
    emu.faults.add({ op: 'HeadObject', count: 1, action: { type: 'drop' } });
    expect(await cos.headObject(key)).toBeNull();

    const impatient = client({ retry: { baseDelayMs: 1, maxDelayMs: 5, attemptTimeoutMs: 200 } });
    emu.faults.add({ op: 'HeadObject', count: 1, action: { type: 'delay', ms: 1000 } });
    const before = emu.faults.hits;
    expect(await impatient.headObject(key)).toBeNull();
    expect(emu.faults.hits).toBe(before + 1);

    emu.faults.add({
      op: 'ListMultipartUploads',
      count: Number.POSITIVE_INFINITY,
      action: { type: 'error', status: 503, code: 'SlowDown' },
    });
    const e = await rejection(cos.listMultipartUploads('it/'));
    expect(e).toMatchObject({ status: 503, code: 'STORAGE_UNAVAILABLE' });
    expect(`${e.message} ${JSON.stringify(e.details)}`).not.toMatch(new RegExp(`<|${secretKey}|q-signature`));
  });

  it('abort is idempotent, head of a missing key is null', async () => {
    const key = keyFor('abort twice.bin');
    const uploadId = await cos.initiateMultipart(key, { contentType: 'text/plain', metadata: {} });
    await cos.abortMultipart(key, uploadId);
    await cos.abortMultipart(key, uploadId);
    await cos.abortMultipart(key, 'never-existed');
    expect(await cos.headObject(keyFor('nothing here'))).toBeNull();
  });

  it('lists multipart uploads page by page under a prefix', async () => {
    const prefix = `${keyFor('listing')}/`;
    const made: string[] = [];
    for (const name of ['a', 'b b', 'b b', 'ü', 'z']) {
      const key = `${prefix}${name}`;
      made.push(`${key}|${await cos.initiateMultipart(key, { contentType: 'text/plain', metadata: {} })}`);
    }
    const seen: string[] = [];
    let markers: { keyMarker?: string; uploadIdMarker?: string } = {};
    for (let pages = 1; ; pages++) {
      const page = await cos.listMultipartUploads(prefix, { ...markers, maxUploads: 2 });
      seen.push(...page.uploads.map((u) => `${u.key}|${u.uploadId}`));
      expect(page.uploads.length).toBeLessThanOrEqual(2);
      if (!page.isTruncated) {
        expect(pages).toBe(3);
        break;
      }
      markers = { keyMarker: page.nextKeyMarker ?? undefined, uploadIdMarker: page.nextUploadIdMarker ?? undefined };
    }
    expect(seen.sort()).toEqual(made.sort());
    await Promise.all(made.map((m) => cos.abortMultipart(m.split('|')[0]!, m.split('|')[1]!)));
  });

  it('wrong credentials are refused without retry and mapped to AccessDenied', async () => {
    const before = emu.faults.hits;
    const bad = client({ secretKey: 'not-the-secret-key-0000000000000' });
    expect(isStorageRejection(await rejection(bad.listMultipartUploads('it/')), 'AccessDenied')).toBe(true);
    const token = client({ sessionToken: 'not-a-token-this-sts-issued' });
    expect(isStorageRejection(await rejection(token.headObject(keyFor('x'))), 'AccessDenied')).toBe(true);
    expect(emu.faults.hits).toBe(before);
  });

  it('works with temporary credentials: the token travels as a header and, unsigned, on presigned URLs', async () => {
    const prefix = keyFor('temp');
    const policy = {
      version: '2.0',
      statement: [
        {
          effect: 'allow',
          action: ['name/cos:*'],
          resource: [`qcs::cos:${region}:uid/1250000000:${bucket}/${prefix}/*`],
        },
      ],
    };
    const stsClient = new sts.v20180813.Client({
      credential: { secretId, secretKey },
      region,
      profile: { httpProfile: { endpoint: `127.0.0.1:${emu.port}`, protocol: 'http://' } },
    });
    const res = await stsClient.GetFederationToken({
      Name: 'cos-client-it',
      Policy: encodeURIComponent(JSON.stringify(policy)),
      DurationSeconds: 1800,
    });
    const c = res.Credentials!;
    const temp = client({ secretId: c.TmpSecretId!, secretKey: c.TmpSecretKey!, sessionToken: c.Token! });

    const key = `${prefix}/file one.bin`;
    const uploadId = await temp.initiateMultipart(key, { contentType: 'application/octet-stream', metadata: {} });
    const p = temp.presignUploadParts(key, uploadId, [{ partNumber: 1, contentLength: 5 }], new Date(), 60)[0]!;
    expect(new URL(p.url).searchParams.get('x-cos-security-token')).toBe(c.Token);
    expect(new URL(p.url).searchParams.get('q-url-param-list')).toBe('partnumber;uploadid');
    const put1 = await put(p, Buffer.from('12345'));
    expect(put1.status).toBe(200);
    expect(await temp.listParts(key, uploadId)).toHaveLength(1);
    await temp.completeMultipart(key, uploadId, [{ partNumber: 1, etag: put1.headers.get('etag')! }]);
    expect(await temp.headObject(key)).toMatchObject({ size: 5 });
    // Outside the policy's resource: refused, not retried.
    expect(isStorageRejection(await rejection(temp.headObject(keyFor('elsewhere'))), 'AccessDenied')).toBe(true);
  });
});
