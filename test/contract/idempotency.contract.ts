import { randomBytes } from 'node:crypto';
import { expect, it } from 'vitest';
import type { IdempotencyClaim, UploadStore } from '../../shared/ports.ts';
import { anUpload, at } from './fixtures.ts';

const claimOf = (over: Partial<IdempotencyClaim> = {}): IdempotencyClaim => ({
  owner: 'owner-a',
  key: 'key-1',
  fingerprint: 'fp-1',
  claim: `c-${randomBytes(6).toString('hex')}`,
  leaseUntil: at(60),
  expiresAt: at(86_400),
  ...over,
});

/** A create response with 1,000 presigned part URLs, as create with `presign: 1000` answers (~0.5 MB). */
function largeBody(): string {
  const urls = Array.from({ length: 1_000 }, (_, i) => ({
    partNumber: i + 1,
    method: 'PUT',
    url: `https://uploads-1250000000.cos.ap-guangzhou.myqcloud.com/u/0f3a9c2b/upl_${randomBytes(16).toString('base64url')}/holiday%20video.mp4?partNumber=${i + 1}&uploadId=1700000000${randomBytes(8).toString('hex')}&q-sign-algorithm=sha1&q-ak=AKIDexampleexampleexample&q-sign-time=1893456000%3B1893459600&q-key-time=1893456000%3B1893459600&q-header-list=content-length%3Bhost&q-url-param-list=partnumber%3Buploadid&q-signature=${randomBytes(20).toString('hex')}`,
    headers: { 'Content-Length': String(8 * 1024 ** 2) },
    expiresAt: at(3_600),
  }));
  return JSON.stringify({ upload: { id: 'upl_x' }, urls });
}

/** Idempotency-Key claims and responses (UploadStore.claimIdempotencyKey and create's `idempotency`). */
export function idempotencyContract(store: () => UploadStore): void {
  it('claims a free key once; the response is written with the upload and read back byte for byte', async () => {
    const first = claimOf();
    expect(await store().claimIdempotencyKey(first, at(1))).toBeNull();
    // While the first runs, the key is held, without a response.
    expect(await store().claimIdempotencyKey(claimOf({ fingerprint: 'fp-2' }), at(2))).toMatchObject({
      ...first,
      response: null,
    });
    const u = anUpload();
    const body = largeBody();
    expect(body.length).toBeGreaterThan(450_000);
    const response = { status: 201, body };
    expect(await store().create(u, { maxOpenPerOwner: 5 }, { ...first, response })).toBe(true);
    const again = await store().claimIdempotencyKey(claimOf(), at(3));
    expect(again?.response?.status).toBe(201);
    expect(again?.response?.body === body).toBe(true);
    // Another owner's key of the same name is another key.
    expect(await store().claimIdempotencyKey(claimOf({ owner: 'owner-b' }), at(3))).toBeNull();
  });

  it('frees a key 24 h on, and a crashed request’s claim once its lease has passed', async () => {
    const first = claimOf();
    await store().claimIdempotencyKey(first, at(1));
    await store().create(anUpload(), undefined, { ...first, response: { status: 201, body: '{"a":1}' } });
    expect((await store().claimIdempotencyKey(claimOf(), at(86_399)))?.response).not.toBeNull();
    expect(await store().claimIdempotencyKey(claimOf({ expiresAt: at(2 * 86_400) }), at(86_400))).toBeNull();

    const crashed = claimOf({ key: 'key-2' });
    await store().claimIdempotencyKey(crashed, at(1));
    expect(await store().claimIdempotencyKey(claimOf({ key: 'key-2' }), at(59))).toMatchObject({
      claim: crashed.claim,
    });
    const next = claimOf({ key: 'key-2', leaseUntil: at(120) });
    expect(await store().claimIdempotencyKey(next, at(60))).toBeNull();
    // The crashed request, still running after all, cannot finish: nothing of it is inserted.
    const late = anUpload({ owner: 'owner-late' });
    await expect(
      store().create(late, undefined, { ...crashed, response: { status: 201, body: '{}' } }),
    ).rejects.toMatchObject({ code: 'IDEMPOTENCY_KEY_IN_USE', status: 409 });
    expect(await store().get(late.id)).toBeNull();
    expect(await store().countOpenByOwner(late.owner)).toBe(0);
    // Nor release the new claim; the holder can release its own.
    await store().releaseIdempotencyKey(next.owner, next.key, crashed.claim);
    expect(await store().claimIdempotencyKey(claimOf({ key: 'key-2' }), at(61))).toMatchObject({ claim: next.claim });
    await store().releaseIdempotencyKey(next.owner, next.key, next.claim);
    expect(await store().claimIdempotencyKey(claimOf({ key: 'key-2' }), at(62))).toBeNull();
  });

  it('gives 20 racing claims of one key one winner', async () => {
    const claims = Array.from({ length: 20 }, () => claimOf({ key: 'raced' }));
    const results = await Promise.all(claims.map((c) => store().claimIdempotencyKey(c, at(1))));
    expect(results.filter((r) => r === null)).toHaveLength(1);
    const winner = claims[results.indexOf(null)]!;
    for (const r of results) if (r) expect(r.claim).toBe(winner.claim);
  });

  it('refused by the quota, a create writes no response and keeps the claim for its release', async () => {
    const c = claimOf({ key: 'quota' });
    await store().create(anUpload());
    await store().claimIdempotencyKey(c, at(1));
    expect(
      await store().create(anUpload(), { maxOpenPerOwner: 1 }, { ...c, response: { status: 201, body: '{}' } }),
    ).toBe(false);
    expect(await store().claimIdempotencyKey(claimOf({ key: 'quota' }), at(2))).toMatchObject({ response: null });
  });
}
