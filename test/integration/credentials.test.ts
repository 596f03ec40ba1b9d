import COS from 'cos-nodejs-sdk-v5';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '../../local/stack.ts';
import type { CredentialsGrant as Grant } from '../../shared/core/issue-credentials.ts';
import { installRuntime } from '../../shared/runtime/current.ts';
import { stsIssuer } from '../../shared/runtime/sts-issuer.ts';
import { apiClient, bytesOf, expectError } from '../helpers/api-client.ts';
import { getObjectBytes, officialCos } from '../helpers/official-cos.ts';
import { startTestStack, type TestStack } from '../helpers/test-stack.ts';

/**
 * Mobile-app flow: STS keys from the API, bytes through the official COS SDK straight to the
 * local COS, ledger and complete through the API — and everything the keys must not do, refused
 * by COS itself (the emulator enforces the keys' CAM policy).
 */

const MiB = 1024 * 1024;

let testStack: TestStack | undefined;
let stack: LocalStack;
let alice: ReturnType<typeof apiClient>;
let bob: ReturnType<typeof apiClient>;
let admin: ReturnType<typeof apiClient>;

beforeAll(async () => {
  testStack = await startTestStack('credentials');
  stack = testStack.stack;
  alice = apiClient(stack.apiUrl, await stack.token('alice'));
  bob = apiClient(stack.apiUrl, await stack.token('bob'));
  admin = apiClient(stack.apiUrl, await stack.token('root', { admin: true }));
});
afterAll(() => testStack?.stop());
afterEach(() => stack.emulator.faults.clear());

const credentials = (client: ReturnType<typeof apiClient>, id: string, body?: unknown) =>
  client.call<Grant>('POST', `/v1/uploads/${id}/credentials`, body);

/** The official SDK signing with the temporary keys, as a mobile app would. */
const cosWith = (g: Grant) =>
  new COS({
    getAuthorization: (_options, callback) =>
      callback({
        TmpSecretId: g.credentials.tmpSecretId,
        TmpSecretKey: g.credentials.tmpSecretKey,
        SecurityToken: g.credentials.sessionToken,
        StartTime: g.startTime,
        ExpiredTime: g.expiredTime,
      }),
    Protocol: 'http',
    Domain: new URL(stack.cosUrl).host,
  });

async function create(body: Record<string, unknown>) {
  const r = await alice.create(body);
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body.upload;
}

async function grantFor(id: string): Promise<Grant> {
  const r = await credentials(alice, id);
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return r.body;
}

/** Resolves to the SDK's error; fails the test if the call went through. */
async function refused(p: Promise<unknown>) {
  const e = await p.then(
    () => null,
    (err: unknown) => err as { code?: string; statusCode?: number },
  );
  expect(e, 'the request should have been refused').not.toBeNull();
  return { code: e?.code, statusCode: e?.statusCode };
}
const ACCESS_DENIED = { code: 'AccessDenied', statusCode: 403 };

describe('multipart with STS keys', () => {
  it('the official SDK uploads all 3 parts with the keys; the API records and completes; the bytes match', async () => {
    const file = bytesOf(3 * MiB - 1000, 7);
    const up = await create({ fileName: 'holiday clip 假期 (1).mp4', size: file.length, contentType: 'video/mp4' });
    expect([up.strategy, up.partCount]).toEqual(['multipart', 3]);

    const r = await credentials(alice, up.id);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.headers.get('cache-control')).toBe('no-store');
    const g = r.body;
    expect(Object.keys(g)).toEqual([
      'credentials',
      'startTime',
      'expiredTime',
      'expiration',
      'bucket',
      'region',
      'key',
      'uploadId',
      'partSize',
      'partCount',
      'allow',
    ]);
    expect(Object.keys(g.credentials)).toEqual(['tmpSecretId', 'tmpSecretKey', 'sessionToken']);
    expect(g).toMatchObject({
      bucket: stack.bucket,
      region: stack.region,
      key: up.key,
      uploadId: up.cosUploadId,
      partSize: MiB,
      partCount: 3,
    });
    expect(g.allow).toEqual(['name/cos:UploadPart', 'name/cos:ListParts']);
    expect(g.expiredTime - g.startTime).toBeGreaterThanOrEqual(1799);
    expect(new Date(g.expiration).getTime()).toBe(g.expiredTime * 1000);

    const cos = cosWith(g);
    const target = { Bucket: g.bucket, Region: g.region, Key: g.key, UploadId: g.uploadId! };
    const parts = [];
    for (let n = 1; n <= 3; n++) {
      const Body = Buffer.from(file.subarray((n - 1) * g.partSize, n * g.partSize));
      const put = await cos.multipartUpload({ ...target, PartNumber: n, Body });
      expect(put.statusCode).toBe(200);
      parts.push({ partNumber: n, etag: put.ETag, size: Body.length });
    }
    // ListParts is allowed too, so an app can resume from COS's own view.
    const listed = await cos.multipartListPart(target);
    expect(listed.Part.map((p) => p.ETag)).toEqual(parts.map((p) => p.etag));

    expect((await alice.record(up.id, parts)).status).toBe(200);
    const done = await alice.complete(up.id);
    expect(done.status, JSON.stringify(done.body)).toBe(200);
    expect(done.body.upload.state).toBe('completed');
    const stored = await getObjectBytes(officialCos(stack.cosUrl), stack.bucket, stack.region, up.key);
    expect(Buffer.compare(stored, Buffer.from(file))).toBe(0);
  });

  it('the same keys cannot touch another key, another upload, Complete, Abort, or send a part over the part size', async () => {
    const up = await create({ fileName: 'a.bin', size: 3 * MiB });
    const other = await create({ fileName: 'b.bin', size: 3 * MiB });
    const g = await grantFor(up.id);
    const cos = cosWith(g);
    const mine = { Bucket: g.bucket, Region: g.region, Key: g.key, UploadId: g.uploadId! };
    const small = Buffer.from('x'.repeat(1024));

    // Another key, beside it and elsewhere.
    expect(
      await refused(cos.putObject({ Bucket: g.bucket, Region: g.region, Key: `${g.key}.evil`, Body: small })),
    ).toEqual(ACCESS_DENIED);
    expect(
      await refused(cos.putObject({ Bucket: g.bucket, Region: g.region, Key: 'index.html', Body: small })),
    ).toEqual(ACCESS_DENIED);
    // PutObject on its own key would bypass the part plan.
    expect(await refused(cos.putObject({ Bucket: g.bucket, Region: g.region, Key: g.key, Body: small }))).toEqual(
      ACCESS_DENIED,
    );
    // Another upload of the same owner.
    const theirs = { Bucket: g.bucket, Region: g.region, Key: other.key, UploadId: other.cosUploadId! };
    expect(await refused(cos.multipartUpload({ ...theirs, PartNumber: 1, Body: small }))).toEqual(ACCESS_DENIED);
    // Assembly and cancellation stay with the server.
    const one = await cos.multipartUpload({ ...mine, PartNumber: 1, Body: Buffer.alloc(MiB, 1) });
    expect(await refused(cos.multipartComplete({ ...mine, Parts: [{ PartNumber: 1, ETag: one.ETag }] }))).toEqual(
      ACCESS_DENIED,
    );
    expect(await refused(cos.multipartAbort(mine))).toEqual(ACCESS_DENIED);
    expect(await refused(cos.multipartInit({ Bucket: g.bucket, Region: g.region, Key: g.key }))).toEqual(ACCESS_DENIED);
    // One byte over the part size.
    expect(await refused(cos.multipartUpload({ ...mine, PartNumber: 2, Body: Buffer.alloc(MiB + 1, 2) }))).toEqual(
      ACCESS_DENIED,
    );

    // Nothing of that reached COS: only the part within the size is there, and the upload is still live.
    const listed = await officialCos(stack.cosUrl).multipartListPart(mine);
    expect(listed.Part.map((p) => [Number(p.PartNumber), Number(p.Size)])).toEqual([[1, MiB]]);
    expect((await alice.get(up.id)).body.upload.state).toBe('open');
  });

  it('hands the same keys back while they are fresh, and counts as activity', async () => {
    const up = await create({ fileName: 'c.bin', size: 2 * MiB });
    const before = await stack.deps.store.get(up.id);
    const a = await grantFor(up.id);
    const b = await grantFor(up.id);
    expect(b.credentials).toEqual(a.credentials);
    const after = await stack.deps.store.get(up.id);
    expect(after!.lastActivityAt >= before!.lastActivityAt).toBe(true);
    expect(after!.updatedAt >= before!.updatedAt).toBe(true);
  });
});

describe('single upload with STS keys (part 1 of a one-part multipart upload)', () => {
  it('allows Upload Part 1 of at most the size, no PutObject and no Initiate; complete succeeds', async () => {
    const file = Buffer.from(bytesOf(1000, 3));
    const up = await create({ fileName: 'avatar.png', size: file.length, contentType: 'image/png' });
    expect(up.strategy).toBe('single');
    const g = await grantFor(up.id);
    expect(g).toMatchObject({
      key: up.key,
      uploadId: up.cosUploadId,
      partSize: file.length,
      allow: ['name/cos:UploadPart', 'name/cos:ListParts'],
    });
    const cos = cosWith(g);
    const at = { Bucket: g.bucket, Region: g.region, Key: g.key };

    expect(await refused(cos.putObject({ ...at, Body: file, ContentType: 'image/png' }))).toEqual(ACCESS_DENIED);
    expect(await refused(cos.multipartInit(at))).toEqual(ACCESS_DENIED);
    const tooBig = Buffer.concat([file, Buffer.from('!')]);
    expect(await refused(cos.multipartUpload({ ...at, UploadId: g.uploadId, PartNumber: 1, Body: tooBig }))).toEqual(
      ACCESS_DENIED,
    );

    const put = await cos.multipartUpload({ ...at, UploadId: g.uploadId, PartNumber: 1, Body: file });
    expect(put.statusCode).toBe(200);
    const done = await alice.complete(up.id);
    expect(done.status, JSON.stringify(done.body)).toBe(200);
    expect(done.body.upload.state).toBe('completed');
    const stored = await getObjectBytes(officialCos(stack.cosUrl), stack.bucket, stack.region, up.key);
    expect(stored.equals(file)).toBe(true);
  });
});

describe('who and when', () => {
  it('404 for another owner and for an admin (keys go to the owner only), 404 for an unknown id', async () => {
    const up = await create({ fileName: 'mine.bin', size: 10 });
    expectError(await credentials(bob, up.id), 404, 'NOT_FOUND');
    expectError(await credentials(admin, up.id), 404, 'NOT_FOUND');
    expectError(await credentials(alice, 'upl_00000000000000000000000000'), 404, 'NOT_FOUND');
  });

  it('409 once aborted or completed', async () => {
    const up = await create({ fileName: 'gone.bin', size: 2 * MiB });
    expect((await alice.abort(up.id)).status).toBe(204);
    const r = await credentials(alice, up.id);
    expectError(r, 409, 'UPLOAD_NOT_OPEN');
    expect((r.body as unknown as { error: { details: { state: string } } }).error.details.state).toBe('aborted');
  });

  it('400 for a body with fields, 401 without a token', async () => {
    const up = await create({ fileName: 'x.bin', size: 10 });
    expectError(await credentials(alice, up.id, { partNumbers: [1] }), 400, 'VALIDATION_FAILED');
    const res = await fetch(`${stack.apiUrl}/v1/uploads/${up.id}/credentials`, { method: 'POST' });
    expect(res.status).toBe(401);
  });

  it("with the route's own loader (as in Lambda) the issuer is built from the config on first use", async () => {
    const up = await create({ fileName: 'lambda.bin', size: 10 });
    installRuntime(stack.runtime.with({ issuer: stsIssuer }));
    try {
      const g = await grantFor(up.id);
      expect(g.allow).toEqual(['name/cos:UploadPart', 'name/cos:ListParts']);
      const put = await cosWith(g).multipartUpload({
        Bucket: g.bucket,
        Region: g.region,
        Key: g.key,
        UploadId: g.uploadId,
        PartNumber: 1,
        Body: Buffer.alloc(10),
      });
      expect(put.statusCode).toBe(200);
    } finally {
      installRuntime(stack.runtime);
    }
  });

  it('STS down: retried, then 503 STORAGE_UNAVAILABLE without upstream details', async () => {
    const up = await create({ fileName: 'sts-down.bin', size: 10 });
    stack.emulator.faults.add({ op: 'GetFederationToken', count: 10, action: { type: 'error', status: 503 } });
    const r = await credentials(alice, up.id);
    expectError(r, 503, 'STORAGE_UNAVAILABLE');
    expect(JSON.stringify(r.body)).not.toMatch(/stack|Tencent|RequestId|secret/i);
    expect(stack.emulator.faults.hits).toBeGreaterThanOrEqual(3);
    stack.emulator.faults.clear();
    expect((await credentials(alice, up.id)).status).toBe(200);
  });
});
