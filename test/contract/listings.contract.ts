import { expect, it } from 'vitest';
import {
  type ListFilter,
  UPLOAD_STATES,
  type UploadRecord,
  type UploadState,
  type UploadStore,
} from '../../shared/ports.ts';
import { allPages, anUpload, at, ids, sortedIds } from './fixtures.ts';

const STATES: readonly UploadState[] = UPLOAD_STATES;

/** 30 uploads over 3 owners and every state; createdAt mostly distinct, with a few ties. */
async function seed(store: UploadStore): Promise<UploadRecord[]> {
  const all = Array.from({ length: 30 }, (_, i) =>
    anUpload({
      owner: `owner-${i % 3}`,
      state: STATES[i % 5],
      createdAt: at(i < 4 ? 0 : i * 10),
      updatedAt: at(i * 10),
      lastActivityAt: at(1000 + i),
      expiresAt: at(2000 + i),
    }),
  );
  await Promise.all(all.map((u) => store.create(u)));
  return all;
}

const newestFirst = (items: UploadRecord[]) => items.every((u, i) => i === 0 || items[i - 1]!.createdAt >= u.createdAt);

/** countOpenByOwner, the admin list and the two sweep listings, with cursor pagination. */
export function listingsContract(store: () => UploadStore): void {
  const list = (f: Omit<ListFilter, 'cursor'>) => allPages((cursor) => store().list({ ...f, cursor }), f.limit);

  it('counts open uploads per owner', async () => {
    const all = await seed(store());
    for (const owner of ['owner-0', 'owner-1', 'owner-2']) {
      const expected = all.filter((u) => u.owner === owner && u.state === 'open').length;
      expect(await store().countOpenByOwner(owner)).toBe(expected);
    }
    expect(await store().countOpenByOwner('nobody')).toBe(0);
    const someOpen = all.find((u) => u.owner === 'owner-0' && u.state === 'open')!;
    const before = await store().countOpenByOwner('owner-0');
    await store().transition(someOpen.id, { from: ['open'], to: 'aborted', at: at(5000) });
    expect(await store().countOpenByOwner('owner-0')).toBe(before - 1);
  });

  it('lists everything newest first over several pages, each upload exactly once', async () => {
    const all = await seed(store());
    const { items, pages } = await list({ limit: 7 });
    expect(pages).toBeGreaterThanOrEqual(5);
    expect(items).toHaveLength(30);
    expect(sortedIds(items)).toEqual(sortedIds(all));
    expect(newestFirst(items)).toBe(true);
    expect(items.find((u) => u.id === all[29]!.id)).toEqual(all[29]);
  });

  it('returns a single page with a null cursor when everything fits', async () => {
    await seed(store());
    const page = await store().list({ limit: 30 });
    expect(page.items).toHaveLength(30);
    expect(page.nextCursor).toBeNull();
    const empty = await store().list({ limit: 5, owner: 'nobody' });
    expect(empty).toEqual({ items: [], nextCursor: null });
  });

  it('filters by state, owner, both, and createdBefore (strictly), paging through each', async () => {
    const all = await seed(store());
    const cases: Omit<ListFilter, 'cursor' | 'limit'>[] = [
      { state: 'open' },
      { state: 'completed' },
      { owner: 'owner-1' },
      { owner: 'owner-1', state: 'aborted' },
      { createdBefore: at(100) },
      { createdBefore: at(0) },
      { state: 'open', createdBefore: at(200) },
      { owner: 'owner-2', createdBefore: at(150) },
      { owner: 'owner-2', state: 'completing', createdBefore: at(1000) },
    ];
    for (const f of cases) {
      const expected = all.filter(
        (u) =>
          (!f.state || u.state === f.state) &&
          (!f.owner || u.owner === f.owner) &&
          (!f.createdBefore || u.createdAt < f.createdBefore),
      );
      const { items } = await list({ ...f, limit: 2 });
      expect(sortedIds(items), JSON.stringify(f)).toEqual(sortedIds(expected));
      expect(newestFirst(items), JSON.stringify(f)).toBe(true);
    }
  });

  it('rejects a tampered cursor and a bad limit as bad input', async () => {
    await seed(store());
    for (const cursor of ['not-a-cursor', 'e30', Buffer.from('[1,2,3]').toString('base64url')]) {
      await expect(store().list({ limit: 5, cursor })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
      await expect(store().listOpenInactiveSince(at(1), 5, cursor)).rejects.toMatchObject({
        code: 'VALIDATION_FAILED',
      });
    }
    await expect(store().list({ limit: 0 })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    await expect(store().listOpenExpired(at(1), 0)).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
  });

  it('lists open uploads inactive since a time (strictly before), over pages', async () => {
    const all = await seed(store());
    const before = at(1020);
    const expected = all.filter((u) => u.state === 'open' && u.lastActivityAt < before);
    const { items, pages } = await allPages((c) => store().listOpenInactiveSince(before, 2, c), 2);
    expect(sortedIds(items)).toEqual(sortedIds(expected));
    expect(pages).toBeGreaterThanOrEqual(2);
    expect(items.find((u) => u.id === expected[0]!.id)).toEqual(expected[0]);
  });

  it('drops an upload from the stale listing when it shows activity or leaves open', async () => {
    const [a, b, c] = [anUpload(), anUpload(), anUpload()];
    await Promise.all([a, b, c].map((u) => store().create(u)));
    const stale = async () =>
      sortedIds((await allPages((cur) => store().listOpenInactiveSince(at(10), 10, cur), 10)).items);
    expect(await stale()).toEqual(sortedIds([a, b, c]));
    await store().touch(a.id, at(20));
    await store().putParts(b.id, [{ partNumber: 1, etag: '"e"', size: 1, crc64: null }], at(20));
    await store().transition(c.id, { from: ['open'], to: 'completing', at: at(20) });
    expect(await stale()).toEqual([]);
    await store().transition(c.id, { from: ['completing'], to: 'open', at: at(21) });
    expect(await stale()).toEqual([c.id]);
  });

  it('lists open uploads expired at a time (expiresAt <= now), over pages', async () => {
    const all = await seed(store());
    const now = at(2020);
    const expected = all.filter((u) => u.state === 'open' && u.expiresAt <= now);
    expect(expected.some((u) => u.expiresAt === now)).toBe(true);
    const { items, pages } = await allPages((c) => store().listOpenExpired(now, 1, c), 1);
    expect(sortedIds(items)).toEqual(sortedIds(expected));
    expect(pages).toBeGreaterThanOrEqual(2);
    const expiredOne = expected[0]!;
    await store().transition(expiredOne.id, { from: ['open'], to: 'expired', at: now });
    const after = await allPages((c) => store().listOpenExpired(now, 10, c), 10);
    expect(ids(after.items)).not.toContain(expiredOne.id);
    expect(after.items).toHaveLength(expected.length - 1);
  });

  it('pages the sweeps over many uploads without losing or repeating one', async () => {
    const many = Array.from({ length: 45 }, (_, i) => anUpload({ lastActivityAt: at(i % 7), expiresAt: at(i % 5) }));
    await Promise.all(many.map((u) => store().create(u)));
    const stale = await allPages((c) => store().listOpenInactiveSince(at(100), 10, c), 10);
    expect(stale.items).toHaveLength(45);
    expect(sortedIds(stale.items)).toEqual(sortedIds(many));
    const expired = await allPages((c) => store().listOpenExpired(at(100), 10, c), 10);
    expect(sortedIds(expired.items)).toEqual(sortedIds(many));
  });

  it('lets a sweep abort each page before asking for the next, and still see every upload once', async () => {
    const many = Array.from({ length: 25 }, (_, i) => anUpload({ lastActivityAt: at(i % 4) }));
    await Promise.all(many.map((u) => store().create(u)));
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await store().listOpenInactiveSince(at(10), 4, cursor);
      for (const u of page.items) {
        seen.push(u.id);
        expect(await store().transition(u.id, { from: ['open'], to: 'aborted', at: at(20) })).not.toBeNull();
      }
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(seen.sort()).toEqual(sortedIds(many));
    expect((await store().listOpenInactiveSince(at(10), 10)).items).toEqual([]);
  });

  it('accepts a cursor replayed with another bound, returning only what still matches', async () => {
    const many = Array.from({ length: 12 }, (_, i) => anUpload({ lastActivityAt: at(i), createdAt: at(i) }));
    await Promise.all(many.map((u) => store().create(u)));
    const first = await store().listOpenInactiveSince(at(100), 5);
    const tighter = await allPages((c) => store().listOpenInactiveSince(at(3), 5, c ?? first.nextCursor!), 5);
    expect(tighter.items).toEqual([]);
    const listed = await store().list({ limit: 5 });
    const older = await allPages(
      (c) => store().list({ limit: 5, createdBefore: at(2), cursor: c ?? listed.nextCursor! }),
      5,
    );
    expect(sortedIds(older.items)).toEqual(sortedIds(many.slice(0, 2)));
  });
}
