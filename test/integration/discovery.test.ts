import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '../../local/stack.ts';
import { limitsResponse, openApiResponse } from '../../shared/api/response-schemas.ts';
import { ownerHash } from '../../shared/core/keys.ts';
import { apiClient, bytesOf, expectError, putPart } from '../helpers/api-client.ts';
import { startTestStack, type TestStack } from '../helpers/test-stack.ts';

/** Discovery without a token (limits, the OpenAPI document) and download URLs for finished files. */
let testStack: TestStack | undefined;
let stack: LocalStack;
let alice: ReturnType<typeof apiClient>;
let bob: ReturnType<typeof apiClient>;
let admin: ReturnType<typeof apiClient>;

beforeAll(async () => {
  testStack = await startTestStack('discovery', {
    env: { ALLOWED_CONTENT_TYPES: 'image/*, text/plain', URL_EXPIRES_SECONDS: '600' },
  });
  stack = testStack.stack;
  alice = apiClient(stack.apiUrl, await stack.token('alice'));
  bob = apiClient(stack.apiUrl, await stack.token('bob'));
  admin = apiClient(stack.apiUrl, await stack.token('root', { admin: true }));
});
afterAll(() => testStack?.stop());

async function completed(name: string, bytes: Uint8Array<ArrayBuffer>) {
  const up = (await alice.create({ fileName: name, size: bytes.length, contentType: 'text/plain' })).body.upload;
  const url = (await alice.partUrls(up.id, { partNumbers: [1] })).body.urls[0]!;
  expect(url.headers).not.toHaveProperty('Content-Length'); // a browser sets it; it is still signed
  expect((await putPart(url, bytes)).status).toBe(200);
  expect((await alice.complete(up.id)).status).toBe(200);
  return up;
}

describe('discovery without a token', () => {
  it('GET /v1/limits: the limits this deployment holds creates to', async () => {
    const res = await fetch(`${stack.apiUrl}/v1/limits`);
    expect(res.status).toBe(200);
    const limits = limitsResponse.parse(await res.json());
    expect(limits).toMatchObject({
      minPartBytes: stack.config.MIN_PART_BYTES,
      singlePutMaxBytes: stack.config.SINGLE_PUT_MAX_BYTES,
      maxPartBytes: 5 * 1024 ** 3,
      allowedContentTypes: ['image/*', 'text/plain'],
      allowedStorageClasses: ['STANDARD'],
      urlExpiresSeconds: 600,
      profiles: {},
    });
  });

  it('GET /v1/openapi.json answers without a token, with an operationId for the new routes', async () => {
    const res = await fetch(`${stack.apiUrl}/v1/openapi.json`);
    expect(res.status).toBe(200);
    const doc = openApiResponse.parse(await res.json()) as {
      paths: Record<string, Record<string, { operationId: string }>>;
    };
    expect(doc.paths['/v1/limits']?.get?.operationId).toBe('limits');
    expect(doc.paths['/v1/uploads/{id}/download-url']?.post?.operationId).toBe('downloadUrl');
  });
});

describe('POST /v1/uploads/{id}/download-url', () => {
  it('owner and admin get a URL that reads the object; another owner gets 404', async () => {
    const bytes = bytesOf(4096, 81);
    const up = await completed('report.txt', bytes);
    for (const who of [alice, admin]) {
      const r = await who.call<{ url: string; expiresAt: string }>('POST', `/v1/uploads/${up.id}/download-url`, {});
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      const got = await fetch(r.body.url);
      expect(got.status).toBe(200);
      expect(Buffer.compare(Buffer.from(await got.arrayBuffer()), Buffer.from(bytes))).toBe(0);
      // Capped at URL_EXPIRES_SECONDS.
      expect(Date.parse(r.body.expiresAt) - Date.now()).toBeLessThanOrEqual(600_000 + 1000);
    }
    expectError(await bob.call('POST', `/v1/uploads/${up.id}/download-url`, {}), 404, 'NOT_FOUND');
  });

  it('attachment binds Content-Disposition with the original name (RFC 6266 filename*)', async () => {
    const up = await completed('résumé 2026.txt', bytesOf(100, 82));
    const r = await alice.call<{ url: string }>('POST', `/v1/uploads/${up.id}/download-url`, {
      disposition: 'attachment',
      expiresSeconds: 60,
    });
    expect(r.status).toBe(200);
    const got = await fetch(r.body.url);
    expect(got.status).toBe(200);
    expect(got.headers.get('content-disposition')).toBe(
      `attachment; filename="r_sum_ 2026.txt"; filename*=UTF-8''r%C3%A9sum%C3%A9%202026.txt`,
    );
    // The disposition is signed: a URL edited to another one is refused.
    const edited = new URL(r.body.url);
    edited.searchParams.set('response-content-disposition', 'attachment; filename="x.exe"');
    expect((await fetch(edited)).status).toBe(403);
  });

  it('an upload that is not completed → 409 UPLOAD_NOT_COMPLETED; bad input → 400', async () => {
    const up = (await alice.create({ fileName: 'open.txt', size: 10, contentType: 'text/plain' })).body.upload;
    expectError(await alice.call('POST', `/v1/uploads/${up.id}/download-url`, {}), 409, 'UPLOAD_NOT_COMPLETED');
    expectError(
      await alice.call('POST', `/v1/uploads/${up.id}/download-url`, { disposition: 'download' }),
      400,
      'VALIDATION_FAILED',
    );
  });
});

describe('an admin reads, aborts and downloads any upload, but writes none (docs/API.md, roles)', () => {
  it('part-urls, parts, credentials and complete on another owner’s upload → 404; GET and DELETE work', async () => {
    const up = (await alice.create({ fileName: 'alices.txt', size: 10, contentType: 'text/plain' })).body.upload;
    const path = `/v1/uploads/${up.id}`;
    expectError(await admin.call('POST', `${path}/part-urls`, { partNumbers: [1] }), 404, 'NOT_FOUND');
    expectError(
      await admin.call('PUT', `${path}/parts`, {
        parts: [{ partNumber: 1, etag: '"0123456789abcdef0123456789abcdef"' }],
      }),
      404,
      'NOT_FOUND',
    );
    expectError(await admin.call('POST', `${path}/credentials`), 404, 'NOT_FOUND');
    expectError(await admin.call('POST', `${path}/complete`), 404, 'NOT_FOUND');
    // Nothing changed, and what admins may do still works.
    expect((await admin.get(up.id)).body.upload).toMatchObject({ state: 'open' });
    expect((await alice.get(up.id)).body.parts).toEqual([]);
    expect((await admin.call('DELETE', `/v1/admin/uploads/${up.id}`)).status).toBe(204);
  });
});

describe('the web pages share one style sheet', () => {
  it('/page.css is served, and both pages link it', async () => {
    const css = await fetch(`${stack.apiUrl}/page.css`);
    expect(css.status).toBe(200);
    expect(css.headers.get('content-type')).toMatch(/^text\/css/);
    expect(await css.text()).toMatch(/max-width: 52rem/);
    for (const page of ['/', '/uppy']) {
      expect(await (await fetch(`${stack.apiUrl}${page}`)).text()).toContain('href="./page.css"');
    }
  });
});

describe('the quota under concurrency (SQLite: checked in the insert)', () => {
  it('30 racing creates with 3 slots free open exactly 3; the refused leave no COS upload behind', async () => {
    const racer = apiClient(stack.apiUrl, await stack.token('racer'));
    const limit = stack.config.MAX_OPEN_UPLOADS_PER_OWNER;
    // Fill all but 3 slots, then race.
    for (let i = 0; i < limit - 3; i++) {
      expect((await racer.create({ fileName: `f${i}.txt`, size: 10, contentType: 'text/plain' })).status).toBe(201);
    }
    const answers = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        racer.create({ fileName: `r${i}.txt`, size: 10, contentType: 'text/plain' }),
      ),
    );
    expect(answers.filter((a) => a.status === 201)).toHaveLength(3);
    for (const a of answers.filter((x) => x.status !== 201)) expectError(a, 429, 'TOO_MANY_OPEN_UPLOADS');
    const owned = (await stack.deps.store.list({ owner: 'racer', limit: 1000 })).items.filter(
      (u) => u.state === 'open',
    );
    expect(owned).toHaveLength(limit);
    const listing = await stack.deps.storage.listMultipartUploads('u/');
    const cosIds = new Set(listing.uploads.map((u) => u.uploadId));
    for (const u of owned) expect(cosIds.has(u.cosUploadId!)).toBe(true);
    const racersInCos = listing.uploads.filter(
      (u) => u.key.startsWith(`u/${ownerHash('racer')}/`) && /\/r\d+\.txt$/.test(u.key),
    );
    expect(racersInCos).toHaveLength(3);
  });
});
