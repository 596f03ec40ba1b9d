import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '../../local/stack.ts';
import { upload, uploadMany } from '../../client/upload.ts';
import type { LimitsResponse } from '../../shared/api/response-schemas.ts';
import { ownerHash } from '../../shared/core/keys.ts';
import type { SweepReport } from '../../shared/core/sweep-run.ts';
import { type Answer, apiClient, bytesOf, expectError, putPart } from '../helpers/api-client.ts';
import { startTestDynamoDb } from '../helpers/dynamodb-local.ts';
import { startTestStack, type TestStack } from '../helpers/test-stack.ts';

const MiB = 1024 * 1024;
const H = 3600_000;

/** docs/API.md "Upload profiles": two profiles, one with a quota of its own and one with its own key segment. */
const PROFILES = {
  avatars: { maxUploadBytes: MiB, allowedContentTypes: ['image/png', 'image/jpeg'], maxOpenUploadsPerOwner: 2 },
  docs: { allowedContentTypes: 'application/pdf,text/*', keySegment: 'documents', defaultPartBytes: 2 * MiB },
};

/** The API's clock runs ahead of the emulator's, so COS uploads look old to the sweep. */
const clock = { offsetMs: 0, now: () => new Date(Date.now() + clock.offsetMs) };

describe.each(['sqlite', 'dynamodb'] as const)('upload profiles over HTTP with the %s store', (backend) => {
  let testStack: TestStack | undefined;
  let stack: LocalStack;
  let db: Awaited<ReturnType<typeof startTestDynamoDb>> | undefined;
  let alice: ReturnType<typeof apiClient>;
  let bob: ReturnType<typeof apiClient>;

  beforeAll(async () => {
    const storeEnv: Record<string, string> = {};
    if (backend === 'dynamodb') {
      db = await startTestDynamoDb();
      Object.assign(storeEnv, { UPLOADS_STORE: 'dynamodb', DYNAMODB_ENDPOINT: db.endpoint, UPLOADS_TABLE: 'profiles' });
    }
    testStack = await startTestStack(`profiles-${backend}`, {
      clock,
      env: { UPLOAD_PROFILES: JSON.stringify(PROFILES), MAX_OPEN_UPLOADS_PER_OWNER: '5', ...storeEnv },
    });
    stack = testStack.stack;
    alice = apiClient(stack.apiUrl, await stack.token(`alice-${backend}`));
    bob = apiClient(stack.apiUrl, await stack.token(`bob-${backend}`));
  });

  afterAll(async () => {
    await testStack?.stop();
    await db?.stop();
  });

  it("holds a create to its profile's size and content types, and to nothing else without one", async () => {
    expectError(
      await alice.create({ fileName: 'big.png', size: MiB + 1, contentType: 'image/png', profile: 'avatars' }),
      413,
      'UPLOAD_TOO_LARGE',
    );
    expectError(
      await alice.create({ fileName: 'a.gif', size: 10, contentType: 'image/gif', profile: 'avatars' }),
      415,
      'CONTENT_TYPE_NOT_ALLOWED',
    );
    // Unknown size: maxSize defaults to the profile's ceiling, not the global one.
    const open = await alice.create({ fileName: 'a.jpg', contentType: 'image/jpeg', profile: 'avatars' });
    expect(open.status, JSON.stringify(open.body)).toBe(201);
    expect(open.body.upload.maxSize).toBe(MiB);
    // The same file without a profile is the global limits' business.
    const plain = await alice.create({ fileName: 'a.gif', size: MiB + 1, contentType: 'image/gif' });
    expect(plain.status, JSON.stringify(plain.body)).toBe(201);
    expect(plain.body.upload.profile).toBeNull();
    for (const id of [open.body.upload.id, plain.body.upload.id]) expect((await alice.abort(id)).status).toBe(204);
  });

  it('an unknown profile is a 400 on `profile`, and nothing is created', async () => {
    const r = await alice.create({ fileName: 'a.png', size: 10, contentType: 'image/png', profile: 'banners' });
    expectError(r, 400, 'VALIDATION_FAILED');
    const issues = (r.body as unknown as { error: { details: { issues: { path: string[] }[] } } }).error.details.issues;
    expect(issues.map((i) => i.path.at(-1))).toEqual(['profile']);
    expectError(await alice.create({ fileName: 'a.png', size: 10, profile: '' }), 400, 'VALIDATION_FAILED');
    expect(await stack.deps.store.countOpenByOwner(`alice-${backend}`)).toBe(0);
  });

  it("keys live under KEY_PREFIX + the profile's keySegment, and the record names its profile", async () => {
    const r = await alice.create({
      fileName: 'cv.pdf',
      size: 3 * MiB,
      contentType: 'application/pdf',
      profile: 'docs',
    });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    const up = r.body.upload;
    expect(up.key).toBe(`${stack.config.KEY_PREFIX}documents/${ownerHash(`alice-${backend}`)}/${up.id}/cv.pdf`);
    expect(up.profile).toBe('docs');
    // The profile's default part size, not the global one (1 MiB in test stacks).
    expect([up.partSize, up.partCount]).toEqual([2 * MiB, 2]);
    const avatar = await alice.create({ fileName: 'me.png', size: 5, contentType: 'image/png', profile: 'avatars' });
    expect(avatar.body.upload.key.startsWith(`${stack.config.KEY_PREFIX}avatars/`)).toBe(true);
    // It uploads and completes like any other.
    const url = (await alice.partUrls(avatar.body.upload.id, { partNumbers: [1] })).body.urls[0]!;
    expect((await putPart(url, bytesOf(5, 3))).status).toBe(200);
    const done = await alice.complete(avatar.body.upload.id);
    expect(done.status, JSON.stringify(done.body)).toBe(200);
    expect(done.body.upload).toMatchObject({ state: 'completed', profile: 'avatars' });
    expect((await alice.get(up.id)).body.upload.profile).toBe('docs');
    expect((await alice.abort(up.id)).status).toBe(204);
  });

  it("enforces the profile's own quota per owner, beside the global one", async () => {
    const avatar = () => alice.create({ fileName: 'q.png', size: 10, contentType: 'image/png', profile: 'avatars' });
    const first = await avatar();
    const second = await avatar();
    expect([first.status, second.status]).toEqual([201, 201]);
    const third = await avatar();
    expectError(third, 429, 'TOO_MANY_OPEN_UPLOADS');
    expect((third.body as unknown as { error: { details: unknown } }).error.details).toMatchObject({
      profile: 'avatars',
      profileLimit: 2,
      limit: 5,
    });
    // Other profiles, no profile and other owners are not held back by it.
    const doc = await alice.create({ fileName: 'n.txt', size: 10, contentType: 'text/plain', profile: 'docs' });
    const plain = await alice.create({ fileName: 'p.bin', size: 10 });
    const bobs = await bob.create({ fileName: 'q.png', size: 10, contentType: 'image/png', profile: 'avatars' });
    expect([doc.status, plain.status, bobs.status]).toEqual([201, 201, 201]);
    // The global quota (5) counts every profile: 2 avatars + doc + plain = 4 open, one slot left.
    expect((await alice.create({ fileName: 'x.bin', size: 10 })).status).toBe(201);
    expectError(
      await alice.create({ fileName: 'n2.txt', size: 10, contentType: 'text/plain', profile: 'docs' }),
      429,
      'TOO_MANY_OPEN_UPLOADS',
    );
    // A slot of the profile frees when one of its uploads ends.
    expect((await alice.abort(first.body.upload.id)).status).toBe(204);
    expect((await avatar()).status).toBe(201);
  });

  it("the client SDK's profile option: upload() and uploadMany() create under it, uploadMany within its quota", async () => {
    const options = { baseUrl: stack.apiUrl, token: await stack.token(`carol-${backend}`), contentType: 'image/png' };
    const one = await upload(bytesOf(100, 7), { ...options, fileName: 'me.png', profile: 'avatars' });
    expect(one).toMatchObject({ state: 'completed', profile: 'avatars' });
    expect(one.key.startsWith(`${stack.config.KEY_PREFIX}avatars/`)).toBe(true);
    // More files than one batch share: uploadMany reads the profile's quota (2) from /v1/limits and
    // keeps within it, so no file is refused for the quota.
    const files = Array.from({ length: 52 }, (_, i) => ({ source: bytesOf(64 + i, i), fileName: `p${i}.png` }));
    const results = await uploadMany(files, { ...options, profile: 'avatars', concurrency: 4, completeDelayMs: 0 });
    expect(results.map((r) => r.state)).toEqual(Array(52).fill('completed'));
    for (const r of results) if (r.state === 'completed') expect(r.upload.profile).toBe('avatars');
  });

  it('GET /v1/limits lists each profile with the fields it overrides', async () => {
    const r = (await fetch(`${stack.apiUrl}/v1/limits`).then((res) => res.json())) as LimitsResponse;
    expect(r.profiles).toEqual({
      avatars: {
        maxUploadBytes: MiB,
        allowedContentTypes: ['image/png', 'image/jpeg'],
        maxOpenUploadsPerOwner: 2,
        keySegment: 'avatars',
      },
      docs: { allowedContentTypes: ['application/pdf', 'text/*'], defaultPartBytes: 2 * MiB, keySegment: 'documents' },
    });
    expect(r.maxUploadBytes).toBe(stack.config.MAX_UPLOAD_BYTES);
  });

  it("the sweep's orphan pass knows a profile upload's COS upload as owned, and keeps it", async () => {
    const carol = apiClient(stack.apiUrl, await stack.token(`carol-${backend}`));
    const admin = apiClient(stack.apiUrl, await stack.token('ops', { admin: true }));
    const r = await carol.create({
      fileName: 'cv.pdf',
      size: 3 * MiB,
      contentType: 'application/pdf',
      profile: 'docs',
    });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    const up = r.body.upload;
    try {
      // A day on, the COS upload is older than the sweep's threshold; the upload itself was just active.
      clock.offsetMs = 25 * H;
      expect((await carol.partUrls(up.id, { partNumbers: [1] })).status).toBe(200);
      const sweep = (await admin.call('POST', '/v1/admin/sweep')) as Answer<SweepReport>;
      expect(sweep.status, JSON.stringify(sweep.body)).toBe(200);
      expect(sweep.body.orphans.map((o) => o.uploadId)).not.toContain(up.cosUploadId);
      expect(sweep.body.aborted).not.toContain(up.id);
      const listed = await stack.deps.storage.listMultipartUploads(`${stack.config.KEY_PREFIX}documents/`);
      expect(listed.uploads.map((u) => u.uploadId)).toContain(up.cosUploadId);
    } finally {
      clock.offsetMs = 0;
    }
  });
});
