import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import COS from 'cos-nodejs-sdk-v5';
import { build } from 'esbuild';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { type CosUploadGrant, cosAuthorization } from '../../client/cos-sdk.ts';
import { createApiClient, UploadClientError } from '../../client/upload.ts';
import type { LocalStack } from '../../local/stack.ts';
import { startTestStack, type TestStack } from '../helpers/test-stack.ts';
import { launchChromium, randomBytes, readObject } from './helpers.ts';
import type { PageCounts, PageRun } from './fixtures/cos-js-sdk-page.ts';

/**
 * The official-SDK path (docs/official-sdk.md) with the real SDKs: `cos-js-sdk-v5` in headless
 * Chromium and `cos-nodejs-sdk-v5` in Node, signing with `/credentials` keys handed over by
 * `client/cos-sdk.ts`, against the local stack.
 *
 * Keys that expire mid-upload, for real: STS_DURATION_SECONDS cannot go below 900 s, so between
 * two parts the test moves every clock past the first keys' expiredTime, as a laptop waking from
 * sleep would see it — Node's Date (the API, its STS and COS signers, the COS + STS emulator) and
 * the page's (Playwright's clock). The emulator then refuses the first keys; the SDK, seeing its
 * keys expired by its own clock, calls getAuthorization again; the helper asks `/credentials`; and
 * the API's issuer cache, whose keys are now stale too, has STS issue fresh ones.
 */

const MiB = 1024 * 1024;
let testStack: TestStack | undefined;
let stack: LocalStack;

/** Moves Node's clock (every `Date` in this process) to `ms`; it keeps running from there. */
function setNodeTime(ms: number) {
  vi.useFakeTimers({ toFake: ['Date'], now: ms, shouldAdvanceTime: true });
}

/** The SDK's Bucket/Region/Key/UploadId of a grant. */
const target = (g: CosUploadGrant) => ({ Bucket: g.bucket, Region: g.region, Key: g.key, UploadId: g.uploadId });

/** cos-nodejs-sdk-v5 signing with a grant's keys and nothing else (no refresh). */
const staleSdk = (g: CosUploadGrant) =>
  new COS({
    getAuthorization: (_o, cb) =>
      cb({
        TmpSecretId: g.credentials.tmpSecretId,
        TmpSecretKey: g.credentials.tmpSecretKey,
        SecurityToken: g.credentials.sessionToken,
        StartTime: g.startTime,
        ExpiredTime: g.expiredTime,
      }),
    Protocol: 'http',
    Domain: new URL(stack.cosUrl).host,
  });

/** How an SDK call failed; fails the test if it went through. */
async function refused(p: Promise<unknown>) {
  const e = await p.then(
    () => null,
    (err: unknown) => err as { code?: string; statusCode?: number; message?: string },
  );
  expect(e, 'the request should have been refused').not.toBeNull();
  return { code: e?.code, statusCode: e?.statusCode, message: e?.message };
}

/** Past the keys' expiry by 30 s. */
const pastExpiry = (expiredTime: number) => expiredTime * 1000 + 30_000;

beforeAll(async () => {
  const page = await build({
    entryPoints: [join(import.meta.dirname, 'fixtures/cos-js-sdk-page.ts')],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    target: ['es2022'],
    logLevel: 'silent',
  });
  const bundle = page.outputFiles[0]!.text;
  testStack = await startTestStack('cos-js-sdk', {
    // The shortest validity the server allows; the clocks jump past it.
    env: { STS_DURATION_SECONDS: '900' },
    // Both read the process's Date when called, so moving it moves them.
    clock: { now: () => new Date() },
    cosNow: () => Date.now(),
    // Served from 127.0.0.1 by the API server: the emulator's CORS admits loopback origins.
    assets: {
      '/': {
        contentType: 'text/html; charset=utf-8',
        body: async () =>
          '<!doctype html><meta charset="utf-8"><input type="file" id="file"><script type="module" src="/page.js"></script>',
      },
      '/page.js': { contentType: 'text/javascript; charset=utf-8', body: async () => bundle },
    },
  });
  stack = testStack.stack;
});
afterAll(() => testStack?.stop());
afterEach(() => {
  vi.useRealTimers();
});

describe('cos-js-sdk-v5 in headless Chromium with cosAuthorization', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterAll(() => browser?.close());

  async function openPage(file: Uint8Array, name: string): Promise<{ page: Page; errors: string[] }> {
    const path = join(testStack!.dataDir, name);
    writeFileSync(path, file);
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    // The page's clock is Playwright's from the start, so the test can move it; it runs in real time.
    await page.clock.install();
    await page.goto(`${stack.apiUrl}/`);
    await page.waitForFunction(() => 'cosJsSdk' in window);
    await page.setInputFiles('#file', path);
    return { page, errors };
  }

  const run = async (): Promise<PageRun> => ({
    token: await stack.token('cos-js-sdk'),
    cosHost: new URL(stack.cosUrl).host,
  });

  it('a 12 MiB upload whose keys expire mid-upload completes: getAuthorization and /credentials are called again, the object is byte-exact', async () => {
    const bytes = randomBytes(12 * MiB, 15);
    const { page, errors } = await openPage(bytes, 'sdk clip.bin');
    const cosRequests: { token: string | undefined; status: number }[] = [];
    page.on('response', (r) => {
      if (r.url().startsWith(stack.cosUrl) && r.request().method() === 'PUT')
        cosRequests.push({ token: r.request().headers()['x-cos-security-token'], status: r.status() });
    });
    let refusedAfterJump: unknown;
    await page.exposeFunction('afterPart', async (partNumber: number, first: CosUploadGrant) => {
      if (partNumber !== 6) return;
      const at = pastExpiry(first.expiredTime);
      setNodeTime(at);
      await page.clock.setSystemTime(at);
      // The first keys are dead now: COS (the emulator) refuses them for the very next part.
      refusedAfterJump = await refused(
        staleSdk(first).multipartUpload({ ...target(first), PartNumber: 7, Body: Buffer.alloc(1) }),
      );
    });

    const result = await page.evaluate((r) => window.cosJsSdk.upload(r), await run());
    expect(refusedAfterJump).toMatchObject({
      statusCode: 403,
      code: 'AccessDenied',
      message: expect.stringMatching(/expired/),
    });
    expect([result.first.partSize, result.first.partCount]).toEqual([MiB, 12]);
    expect(result.upload.state).toBe('completed');
    const counts: PageCounts = result.counts;
    expect(counts.getAuthorization).toBeGreaterThan(1);
    expect(counts.credentials).toBeGreaterThan(1);
    // Parts 1–6 went with the first keys, 7–12 with fresh ones; no part was refused on the way.
    const firstToken = result.first.credentials.sessionToken;
    expect(new Set(counts.tokens).size).toBeGreaterThanOrEqual(2);
    expect(cosRequests.map((c) => c.status)).toEqual(Array(12).fill(200));
    expect(cosRequests.slice(0, 6).every((c) => c.token === firstToken)).toBe(true);
    expect(cosRequests.slice(6).every((c) => c.token !== firstToken)).toBe(true);

    expect(Buffer.compare(await readObject(stack, result.upload.key), bytes)).toBe(0);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('sliceUploadFile cannot work with these keys: its first call, List Multipart Uploads, is refused', async () => {
    const { page, errors } = await openPage(randomBytes(3 * MiB, 16), 'slice.bin');
    const cosCalls: string[] = [];
    page.on('request', (r) => {
      if (!r.url().startsWith(stack.cosUrl) || r.method() === 'OPTIONS') return;
      const u = new URL(r.url());
      cosCalls.push(`${r.method()} ${u.pathname}?${[...u.searchParams.keys()].join('&')}`);
    });
    const result = await page.evaluate((r) => window.cosJsSdk.sliceUpload(r), await run());
    expect(result.error).toMatchObject({ code: 'AccessDenied', statusCode: 403 });
    // GET /?uploads&prefix=<key>: ListMultipartUploads, bucket-level, outside the keys' grant.
    expect(cosCalls).toEqual(['GET /?uploads&prefix']);
    // No part reached COS; the upload is still open, for the part loop.
    const api = createApiClient({ baseUrl: stack.apiUrl, token: await stack.token('cos-js-sdk') });
    const { upload, parts } = await api.get(result.id);
    expect([upload.state, parts]).toEqual(['open', []]);
    expect(errors).toEqual([]);
    await page.close();
  });
});

describe('cos-nodejs-sdk-v5 in Node with cosAuthorization', () => {
  /** The SDK with the helper, counting getAuthorization calls, /credentials requests and the requests it sends. */
  async function nodeSdk() {
    const token = await stack.token('cos-node-sdk');
    const api = createApiClient({ baseUrl: stack.apiUrl, token });
    const counts = { getAuthorization: 0, credentials: 0 };
    const sent: string[] = [];
    const auth = (uploadId: string) =>
      cosAuthorization({
        baseUrl: stack.apiUrl,
        token,
        uploadId,
        fetch: (url, init) => {
          if (url.endsWith('/credentials')) counts.credentials++;
          return fetch(url, init);
        },
      });
    const sdkWith = (a: ReturnType<typeof auth>) => {
      const cos = new COS({
        getAuthorization: (options, callback) => {
          counts.getAuthorization++;
          a(options, callback);
        },
        Protocol: 'http',
        Domain: new URL(stack.cosUrl).host,
      });
      // The query is split between the URL (sub-resources) and `qs` (parameters).
      cos.on('before-send', (opt: { method: string; url: string; qs?: Record<string, unknown> }) => {
        const u = new URL(opt.url);
        sent.push(`${opt.method} ${u.pathname}?${[...u.searchParams.keys(), ...Object.keys(opt.qs ?? {})].join('&')}`);
      });
      return cos;
    };
    return { api, auth, sdkWith, counts, sent };
  }

  it('uploads every part with Upload Part across a key expiry, then completes; the object is byte-exact', async () => {
    const { api, auth, sdkWith, counts } = await nodeSdk();
    const file = Buffer.from(randomBytes(3 * MiB - 5, 17));
    const created = await api.create({ fileName: 'node sdk.bin', size: file.length });
    const a = auth(created.id);
    const cos = sdkWith(a);
    const g = await a.grant();
    expect([g.partSize, g.partCount, g.uploadId]).toEqual([MiB, 3, created.cosUploadId]);
    const parts = [];
    for (let n = 1; n <= g.partCount!; n++) {
      const Body = file.subarray((n - 1) * g.partSize, n * g.partSize);
      const put = await cos.multipartUpload({ ...target(g), PartNumber: n, Body });
      parts.push({ partNumber: n, etag: put.ETag, size: Body.length });
      if (n === 1) {
        setNodeTime(pastExpiry(g.expiredTime));
        expect(await refused(staleSdk(g).multipartUpload({ ...target(g), PartNumber: 2, Body }))).toMatchObject({
          statusCode: 403,
          code: 'AccessDenied',
        });
      }
    }
    expect(counts.getAuthorization).toBe(2);
    expect(counts.credentials).toBe(2);
    expect((await a.grant()).credentials.sessionToken).not.toBe(g.credentials.sessionToken);
    await api.recordParts(created.id, parts);
    const done = await api.complete(created.id);
    expect(done.state).toBe('completed');
    expect(Buffer.compare(await readObject(stack, done.key), file)).toBe(0);
  });

  it('parts sent in parallel from a fresh SDK share one /credentials request', async () => {
    const { api, auth, sdkWith, counts } = await nodeSdk();
    const file = Buffer.from(randomBytes(3 * MiB, 20));
    const created = await api.create({ fileName: 'parallel.bin', size: file.length });
    const cos = sdkWith(auth(created.id));
    // The create answer has the target too: no grant fetched up front.
    const at = { Bucket: created.bucket, Region: created.region, Key: created.key, UploadId: created.cosUploadId! };
    const parts = await Promise.all(
      [1, 2, 3].map(async (n) => {
        const Body = file.subarray((n - 1) * created.partSize, n * created.partSize);
        const put = await cos.multipartUpload({ ...at, PartNumber: n, Body });
        return { partNumber: n, etag: put.ETag, size: Body.length };
      }),
    );
    expect(counts).toEqual({ getAuthorization: 3, credentials: 1 });
    await api.recordParts(created.id, parts);
    const done = await api.complete(created.id);
    expect(Buffer.compare(await readObject(stack, done.key), file)).toBe(0);
  });

  it('refuses options without an upload id or with a negative margin', () => {
    const base = { baseUrl: stack.apiUrl, token: 't' };
    for (const bad of [
      { ...base, uploadId: '' },
      { ...base, uploadId: 'upl_x', refreshMarginSeconds: -1 },
      { baseUrl: stack.apiUrl, uploadId: 'upl_x' },
    ])
      expect(() => cosAuthorization(bad)).toThrow(expect.objectContaining({ code: 'INVALID_OPTIONS' }));
  });

  it('sliceUploadFile and uploadFile are refused at their first call (List Multipart Uploads; PutObject for a small file)', async () => {
    const { api, auth, sdkWith, sent } = await nodeSdk();
    const path = join(testStack!.dataDir, 'node-slice.bin');
    writeFileSync(path, randomBytes(3 * MiB, 18));
    const created = await api.create({ fileName: 'node-slice.bin', size: 3 * MiB });
    const cos = sdkWith(auth(created.id));
    const at = { Bucket: stack.bucket, Region: stack.region, Key: created.key };
    expect(await refused(cos.sliceUploadFile({ ...at, FilePath: path, ChunkSize: MiB }))).toMatchObject({
      statusCode: 403,
      code: 'AccessDenied',
    });
    expect(sent).toEqual(['GET /?uploads&prefix']);

    sent.length = 0;
    const small = join(testStack!.dataDir, 'node-small.bin');
    writeFileSync(small, randomBytes(1000, 19));
    const single = await api.create({ fileName: 'node-small.bin', size: 1000 });
    const one = sdkWith(auth(single.id));
    expect(
      await refused(one.uploadFile({ Bucket: stack.bucket, Region: stack.region, Key: single.key, FilePath: small })),
    ).toMatchObject({ statusCode: 403, code: 'AccessDenied' });
    expect(sent).toEqual(['PUT /' + single.key + '?']);
  });

  it('a failed /credentials call fails the SDK request and is in lastError and onError', async () => {
    const token = await stack.token('cos-node-sdk');
    const api = createApiClient({ baseUrl: stack.apiUrl, token });
    const created = await api.create({ fileName: 'gone.bin', size: 10 });
    await api.abort(created.id);
    const seen: UploadClientError[] = [];
    const a = cosAuthorization({ baseUrl: stack.apiUrl, token, uploadId: created.id, onError: (e) => seen.push(e) });
    const cos = new COS({ getAuthorization: a, Protocol: 'http', Domain: new URL(stack.cosUrl).host });
    const e = await refused(
      cos.multipartUpload({
        Bucket: stack.bucket,
        Region: stack.region,
        Key: created.key,
        UploadId: created.cosUploadId!,
        PartNumber: 1,
        Body: Buffer.alloc(10),
      }),
    );
    expect(e.message).toMatch(/TmpSecretId/);
    expect(a.lastError).toMatchObject({ status: 409, code: 'UPLOAD_NOT_OPEN' });
    expect(seen.map((x) => x.code)).toEqual(['UPLOAD_NOT_OPEN']);
    await expect(a.grant()).rejects.toMatchObject({ code: 'UPLOAD_NOT_OPEN' });
  });
});
