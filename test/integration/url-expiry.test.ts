import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { LocalStack } from '../../local/stack.ts';
import type { CredentialsGrant as Grant } from '../../shared/core/issue-credentials.ts';
import { apiClient, bytesOf, expectError, putPart } from '../helpers/api-client.ts';
import { startTestStack, type TestStack } from '../helpers/test-stack.ts';

/**
 * No URL or key outlives its upload: part URLs and STS keys end at or before the upload's
 * `expiresAt`, so a PUT into an upload that has expired is refused by COS itself. The API and the
 * emulator share one clock, moved forward by `offsetMs`.
 */

const MiB = 1024 * 1024;
const TTL = 1000;
const clock = { offsetMs: 0, now: () => new Date(Date.now() + clock.offsetMs) };

let testStack: TestStack | undefined;
let stack: LocalStack;
let alice: ReturnType<typeof apiClient>;

beforeAll(async () => {
  testStack = await startTestStack('url-expiry', {
    clock,
    cosNow: () => clock.now().getTime(),
    // Part URLs and keys would last far longer than the upload without the cap.
    env: { UPLOAD_TTL_SECONDS: String(TTL), URL_EXPIRES_SECONDS: '7200', STS_DURATION_SECONDS: '1800' },
  });
  stack = testStack.stack;
  alice = apiClient(stack.apiUrl, await stack.token('alice', { expiresIn: '1d' }));
});
afterAll(() => testStack?.stop());
beforeEach(() => {
  clock.offsetMs = 0;
});

async function create() {
  const r = await alice.create({ fileName: 'e.bin', size: 2 * MiB });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body.upload;
}
/** Moves the shared clock to `ms` before the upload's expiresAt (negative: after it). */
const moveTo = (expiresAt: string, msBefore: number) => {
  clock.offsetMs = Date.parse(expiresAt) - msBefore - Date.now();
};

describe('part URLs', () => {
  it('expire no later than the upload, so a PUT after its expiry is refused', async () => {
    const up = await create();
    const early = (await alice.partUrls(up.id, { partNumbers: [1] })).body.urls[0]!;
    expect(Date.parse(early.expiresAt)).toBeLessThanOrEqual(Date.parse(up.expiresAt));

    moveTo(up.expiresAt, 30_000);
    const late = (await alice.partUrls(up.id, { partNumbers: [1, 2] })).body.urls;
    for (const u of late) {
      expect(Date.parse(u.expiresAt)).toBeLessThanOrEqual(Date.parse(up.expiresAt));
      expect(Date.parse(u.expiresAt)).toBeGreaterThan(clock.now().getTime() + 25_000);
    }

    // Past expiresAt: the URLs are dead at COS, whichever was asked for first.
    moveTo(up.expiresAt, -2_000);
    for (const u of [early, late[0]!]) {
      const put = await putPart(u, bytesOf(MiB));
      expect(put.status, put.text).toBe(403);
      expect(put.text).toMatch(/expired/i);
    }
    expect((await alice.get(up.id)).body.upload.state).toBe('expired');
    expectError(await alice.partUrls(up.id, { partNumbers: [1] }), 409, 'UPLOAD_NOT_OPEN');
  });

  it('an upload with less than a second left is not open', async () => {
    const up = await create();
    moveTo(up.expiresAt, 500);
    expectError(await alice.partUrls(up.id, { partNumbers: [1] }), 409, 'UPLOAD_NOT_OPEN');
  });
});

describe('temporary keys', () => {
  const credentials = (id: string) => alice.call<Grant>('POST', `/v1/uploads/${id}/credentials`);

  it('are capped at the upload expiresAt (STS_DURATION_SECONDS would outlast it)', async () => {
    const up = await create();
    const r = await credentials(up.id);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.expiredTime * 1000).toBeLessThanOrEqual(Date.parse(up.expiresAt));
    expect(r.body.expiredTime - r.body.startTime).toBeLessThan(1800);
    expect(r.body.expiredTime - r.body.startTime).toBeGreaterThanOrEqual(900);
  });

  it('are refused (409) when the upload has less left than STS keys last at least', async () => {
    const up = await create();
    moveTo(up.expiresAt, 899_000);
    const r = await credentials(up.id);
    expectError(r, 409, 'UPLOAD_NOT_OPEN');
    expect(JSON.stringify(r.body)).toMatch(/part URLs/);
    // Part URLs still work for what is left.
    expect((await alice.partUrls(up.id, { partNumbers: [1] })).status).toBe(200);
  });
});
