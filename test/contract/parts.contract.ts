import { expect, it } from 'vitest';
import type { UploadState, UploadStore } from '../../shared/ports.ts';
import { anUpload, at, etagOf } from './fixtures.ts';

const part = (partNumber: number, tag = 'a', size: number | null = 8, crc64: string | null = null) => ({
  partNumber,
  etag: etagOf(`${tag}-${partNumber}`),
  size,
  crc64,
});

/** putParts / listParts / touch: the ledger and the activity clock, and when both are refused. */
export function partsContract(store: () => UploadStore): void {
  it('records parts, lists them ascending, and moves only lastActivityAt', async () => {
    const u = anUpload();
    await store().create(u);
    const parts = [part(3), part(1, 'a', null, '123'), part(10_000, 'a', 1), part(101), part(100), part(2)];
    expect(await store().putParts(u.id, parts, at(50))).toBe(true);
    expect(await store().listParts(u.id)).toEqual([...parts].sort((a, b) => a.partNumber - b.partNumber));
    expect(await store().get(u.id)).toEqual({ ...u, lastActivityAt: at(50) });
  });

  it('replaces a part recorded again, across calls and within one call (the later entry wins)', async () => {
    const u = anUpload();
    await store().create(u);
    await store().putParts(u.id, [part(1, 'old', 8, '1'), part(2, 'old')], at(1));
    await store().putParts(u.id, [part(1, 'new', null, null), part(2, 'mid'), part(2, 'last', 9, '9')], at(2));
    expect(await store().listParts(u.id)).toEqual([part(1, 'new', null, null), part(2, 'last', 9, '9')]);
  });

  it('accepts an empty batch as activity', async () => {
    const u = anUpload();
    await store().create(u);
    expect(await store().putParts(u.id, [], at(7))).toBe(true);
    expect((await store().get(u.id))?.lastActivityAt).toBe(at(7));
    expect(await store().listParts(u.id)).toEqual([]);
  });

  for (const state of ['completing', 'completed', 'aborted', 'expired'] satisfies UploadState[]) {
    it(`refuses parts while ${state} and records nothing`, async () => {
      const u = anUpload({ state });
      await store().create(u);
      expect(await store().putParts(u.id, [part(1)], at(1))).toBe(false);
      expect(await store().listParts(u.id)).toEqual([]);
      expect(await store().get(u.id)).toEqual(u);
    });
  }

  it('refuses parts at and after expiresAt, even while still marked open', async () => {
    const u = anUpload({ expiresAt: at(100) });
    await store().create(u);
    expect(await store().putParts(u.id, [part(1)], at(100))).toBe(false);
    expect(await store().putParts(u.id, [part(1)], at(101))).toBe(false);
    expect(await store().listParts(u.id)).toEqual([]);
    expect(await store().putParts(u.id, [part(1)], at(99))).toBe(true);
    expect(await store().get(u.id)).toEqual({ ...u, lastActivityAt: at(99) });
  });

  it('refuses parts of an unknown upload and lists none', async () => {
    expect(await store().putParts('upl_nope', [part(1)], at(1))).toBe(false);
    expect(await store().listParts('upl_nope')).toEqual([]);
    expect(await store().get('upl_nope')).toBeNull();
  });

  it('rejects part numbers outside 1..10000 as bad input', async () => {
    const u = anUpload();
    await store().create(u);
    for (const n of [0, 10_001, 1.5, -1]) {
      await expect(store().putParts(u.id, [part(1), part(n)], at(1))).rejects.toMatchObject({
        code: 'VALIDATION_FAILED',
      });
    }
    expect(await store().listParts(u.id)).toEqual([]);
  });

  it('keeps the ledgers of two uploads apart', async () => {
    const [a, b] = [anUpload(), anUpload()];
    await store().create(a);
    await store().create(b);
    await store().putParts(a.id, [part(1, 'a')], at(1));
    await store().putParts(b.id, [part(1, 'b'), part(2, 'b')], at(1));
    expect(await store().listParts(a.id)).toEqual([part(1, 'a')]);
    expect(await store().listParts(b.id)).toEqual([part(1, 'b'), part(2, 'b')]);
  });

  it('touch moves lastActivityAt and updatedAt while open and unexpired', async () => {
    const u = anUpload({ expiresAt: at(100) });
    await store().create(u);
    expect(await store().touch(u.id, at(10))).toBe(true);
    expect(await store().get(u.id)).toEqual({ ...u, lastActivityAt: at(10), updatedAt: at(10) });
    expect(await store().touch(u.id, at(100))).toBe(false);
    expect(await store().touch('upl_nope', at(10))).toBe(false);
    expect(await store().get('upl_nope')).toBeNull();
  });

  it('touch is refused once the upload is not open', async () => {
    const u = anUpload({ state: 'aborted' });
    await store().create(u);
    expect(await store().touch(u.id, at(10))).toBe(false);
    expect(await store().touch(u.id, at(10), { size: 5, partCount: 1 })).toBe(false);
    expect(await store().get(u.id)).toEqual(u);
  });

  it('touch with fix: the first finalPartSize wins, the same size again is fine, another is refused', async () => {
    const u = anUpload();
    await store().create(u);
    expect(await store().touch(u.id, at(1), { size: 1000, partCount: 3 })).toBe(true);
    expect(await store().get(u.id)).toEqual({
      ...u,
      size: 1000,
      partCount: 3,
      lastActivityAt: at(1),
      updatedAt: at(1),
    });
    expect(await store().touch(u.id, at(2), { size: 1000, partCount: 3 })).toBe(true);
    expect(await store().touch(u.id, at(3), { size: 999, partCount: 3 })).toBe(false);
    expect(await store().get(u.id)).toEqual({
      ...u,
      size: 1000,
      partCount: 3,
      lastActivityAt: at(2),
      updatedAt: at(2),
    });
    expect(await store().touch(u.id, at(4))).toBe(true);
    expect((await store().get(u.id))?.size).toBe(1000);
  });

  it('touch with fix on an upload created with a known size accepts only that size', async () => {
    const u = anUpload({ size: 500, partCount: 1 });
    await store().create(u);
    expect(await store().touch(u.id, at(1), { size: 501, partCount: 1 })).toBe(false);
    expect(await store().touch(u.id, at(1), { size: 500, partCount: 1 })).toBe(true);
    expect((await store().get(u.id))?.size).toBe(500);
  });

  it('touch with fix is refused after expiry', async () => {
    const u = anUpload({ expiresAt: at(10) });
    await store().create(u);
    expect(await store().touch(u.id, at(11), { size: 1, partCount: 1 })).toBe(false);
    expect((await store().get(u.id))?.size).toBeNull();
  });
}
