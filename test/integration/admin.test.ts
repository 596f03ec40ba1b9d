import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '../../local/stack.ts';
import { type Answer, apiClient, bytesOf, expectError, putPart } from '../helpers/api-client.ts';
import { officialCos, sdk } from '../helpers/official-cos.ts';
import { startTestStack, type TestStack } from '../helpers/test-stack.ts';

const MiB = 1024 * 1024;
const env = { MAX_OPEN_UPLOADS_PER_OWNER: '1000' };
const clock = { offsetMs: 0, now: () => new Date(Date.now() + clock.offsetMs) };

interface AdminUpload {
  id: string;
  owner: string;
  state: string;
  createdAt: string;
  lastActivityAt: string;
  cosUploadId: string | null;
  key: string;
}
type ListAnswer = Answer<{ uploads: AdminUpload[]; nextCursor: string | null }>;

let testStack: TestStack | undefined;
let stack: LocalStack;
let admin: ReturnType<typeof apiClient>;
let alice: ReturnType<typeof apiClient>;
let carol: ReturnType<typeof apiClient>;

beforeAll(async () => {
  testStack = await startTestStack('admin', { clock, env });
  stack = testStack.stack;
  admin = apiClient(stack.apiUrl, await stack.token('ops', { admin: true }));
  alice = apiClient(stack.apiUrl, await stack.token('alice'));
  carol = apiClient(stack.apiUrl, await stack.token('carol'));
});

afterAll(() => testStack?.stop());

const issuePaths = (r: Answer) =>
  (r.body as { error: { details: { issues: { path: unknown[] }[] } } }).error.details.issues.map((i) => i.path);
const list = (query: string) => admin.call('GET', `/v1/admin/uploads${query}`) as Promise<ListAnswer>;
const createAs = async (client: ReturnType<typeof apiClient>, size = 1000) => {
  const r = await client.create({ fileName: 'doc.txt', size, contentType: 'text/plain' });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body.upload;
};

describe('admin routes', () => {
  it('every admin route answers 403 to a valid token without the admin scope, and 401 without a token', async () => {
    const up = await createAs(alice);
    const anonymous = apiClient(stack.apiUrl, 'not-a-jwt');
    for (const [method, path, body] of [
      ['GET', '/v1/admin/uploads', undefined],
      ['DELETE', `/v1/admin/uploads/${up.id}`, undefined],
      ['POST', '/v1/admin/sweep', { dryRun: true }],
    ] as const) {
      expectError(await alice.call(method, path, body), 403, 'FORBIDDEN');
      expectError(await anonymous.call(method, path, body), 401, 'UNAUTHORIZED');
    }
    expect((await alice.get(up.id)).body.upload.state).toBe('open');
  });

  it('lists every owner with the admin view, filters by state, owner and createdBefore', async () => {
    clock.offsetMs = -2 * 3600_000;
    const early = await createAs(carol);
    clock.offsetMs = -60_000;
    const late = await createAs(carol);
    clock.offsetMs = 0;
    const aborted = await createAs(carol);
    expect((await carol.abort(aborted.id)).status).toBe(204);

    const mine = await list('?owner=carol&limit=1000');
    expect(mine.status).toBe(200);
    expect(mine.body.uploads.map((u) => u.id)).toEqual([aborted.id, late.id, early.id]);
    expect(mine.body.uploads[0]).toMatchObject({
      owner: 'carol',
      state: 'aborted',
      lastActivityAt: expect.any(String),
    });
    expect(mine.body.nextCursor).toBeNull();

    const open = await list('?owner=carol&state=open');
    expect(open.body.uploads.map((u) => u.id)).toEqual([late.id, early.id]);
    // One hour ago, written in UTC+8: the same instant, normalised before the store compares it.
    const before = new Date(Date.now() - 3600_000 + 8 * 3600_000).toISOString().replace('Z', '+08:00');
    const old = await list(`?owner=carol&createdBefore=${encodeURIComponent(before)}`);
    expect(old.body.uploads.map((u) => u.id)).toEqual([early.id]);
    const all = await list('?limit=1000');
    expect([...new Set(all.body.uploads.map((u) => u.owner))]).toEqual(expect.arrayContaining(['alice', 'carol']));
  });

  it('pages with an opaque cursor: every upload once, newest first, last page without a cursor', async () => {
    const dave = apiClient(stack.apiUrl, await stack.token('dave'));
    const created = [];
    for (let i = 0; i < 7; i++) {
      clock.offsetMs = i * 1000;
      created.push((await createAs(dave)).id);
    }
    clock.offsetMs = 0;
    const pages: string[][] = [];
    let cursor: string | null = null;
    do {
      const page: ListAnswer = await list(
        `?owner=dave&limit=3${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      );
      expect(page.status, JSON.stringify(page.body)).toBe(200);
      pages.push(page.body.uploads.map((u) => u.id));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(pages.map((p) => p.length)).toEqual([3, 3, 1]);
    expect(pages.flat()).toEqual([...created].reverse());
  });

  it('refuses bad queries with 400 and the issue paths', async () => {
    const bad = await list('?limit=1001&state=lost&createdBefore=yesterday&colour=red');
    expectError(bad, 400, 'VALIDATION_FAILED');
    expect(issuePaths(bad)).toEqual(
      expect.arrayContaining([['query', 'limit'], ['query', 'state'], ['query', 'createdBefore'], ['query']]),
    );
    expect(issuePaths(await list('?limit=0'))).toEqual([['query', 'limit']]);
    const cursor = await list('?cursor=bm90LWEtY3Vyc29y');
    expectError(cursor, 400, 'VALIDATION_FAILED');
    expect(issuePaths(cursor)).toEqual([['query', 'cursor']]);
  });

  it("DELETE aborts any owner's upload in the store and COS; 404 unknown, 409 completed, idempotent", async () => {
    const up = await createAs(alice, 2 * MiB);
    const r = await admin.call('DELETE', `/v1/admin/uploads/${up.id}`);
    expect(r.status, JSON.stringify(r.body)).toBe(204);
    expect((await alice.get(up.id)).body.upload.state).toBe('aborted');
    const cos = officialCos(stack.cosUrl);
    const listed = await sdk<{ Upload?: { UploadId: string }[] }>(cos.multipartList.bind(cos) as never, {
      Bucket: stack.bucket,
      Region: stack.region,
      Prefix: up.key,
    });
    expect((listed.Upload ?? []).map((u) => u.UploadId)).not.toContain(up.cosUploadId);
    expect((await admin.call('DELETE', `/v1/admin/uploads/${up.id}`)).status).toBe(204);

    expectError(await admin.call('DELETE', `/v1/admin/uploads/upl_${'0'.repeat(26)}`), 404, 'NOT_FOUND');
    expectError(await admin.call('DELETE', '/v1/admin/uploads/nope'), 400, 'VALIDATION_FAILED');

    const single = await createAs(alice, 100);
    const url = (await alice.partUrls(single.id, { partNumbers: [1] })).body.urls[0]!;
    expect((await putPart(url, bytesOf(100, 5))).status).toBe(200);
    expect((await alice.complete(single.id)).status).toBe(200);
    const refused = await admin.call('DELETE', `/v1/admin/uploads/${single.id}`);
    expectError(refused, 409, 'UPLOAD_NOT_OPEN');
    expect((await alice.get(single.id)).body.upload.state).toBe('completed');
  });

  it('validates the sweep body', async () => {
    const bad = await admin.call('POST', '/v1/admin/sweep', {
      olderThanSeconds: 5,
      dryRun: 'yes',
      cursor: 'zzz',
      extra: 1,
    });
    expectError(bad, 400, 'VALIDATION_FAILED');
    expect(issuePaths(bad)).toEqual(
      expect.arrayContaining([['body', 'olderThanSeconds'], ['body', 'dryRun'], ['body', 'cursor'], ['body']]),
    );
    expectError(await admin.call('POST', '/v1/admin/sweep', undefined, '{"dryRun":'), 400, 'MALFORMED_JSON');
    const dry = await admin.call('POST', '/v1/admin/sweep', { dryRun: true });
    expect(dry.status).toBe(200);
    expect(dry.body).toMatchObject({
      dryRun: true,
      aborted: [],
      expired: [],
      orphans: [],
      more: false,
      nextCursor: null,
      errors: 0,
    });
  });

  it('the OpenAPI document describes the admin routes', async () => {
    const doc = (await admin.call<{ paths: Record<string, Record<string, unknown>> }>('GET', '/v1/openapi.json')).body;
    expect(Object.keys(doc.paths['/v1/admin/uploads']!)).toEqual(['get']);
    expect(Object.keys(doc.paths['/v1/admin/uploads/{id}']!)).toEqual(['delete']);
    expect(Object.keys(doc.paths['/v1/admin/sweep']!)).toEqual(['post']);
  });
});
