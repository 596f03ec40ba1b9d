import { expect, it } from 'vitest';
import type { UploadRecord, UploadStore } from '../../shared/ports.ts';
import { anUpload, at } from './fixtures.ts';

const CONTENT = { size: 4096, crc64: '1234567890123456789' };
const ids = (us: readonly UploadRecord[]) => us.map((u) => u.id);

/** Creates an open upload and completes it as the completion worker does (size and CRC64 in the patch). */
async function completed(store: UploadStore, over: Partial<UploadRecord> = {}, content = CONTENT) {
  const u = anUpload({ size: content.size, partCount: 1, crc64: content.crc64, ...over });
  await store.create(u);
  await store.transition(u.id, { from: ['open'], to: 'completing', at: at(10) });
  const done = await store.transition(u.id, {
    from: ['completing'],
    to: 'completed',
    at: at(20),
    set: { size: content.size, crc64: content.crc64, etag: '"e"', completedAt: at(20), partCount: 1 },
  });
  return done!;
}

/** findCompletedByContent: dedupe's one indexed read. */
export function contentContract(store: () => UploadStore): void {
  it('finds the owner’s completed uploads of exactly that size and CRC64, newest first', async () => {
    const older = await completed(store(), { createdAt: at(1) });
    const newer = await completed(store(), { createdAt: at(2), fileName: 'other-name.bin' });
    await completed(store(), { createdAt: at(3) }, { size: CONTENT.size + 1, crc64: CONTENT.crc64 });
    await completed(store(), { createdAt: at(4) }, { size: CONTENT.size, crc64: '1' });
    await completed(store(), { createdAt: at(5), owner: 'owner-b' });
    const found = await store().findCompletedByContent('owner-a', CONTENT, 10);
    expect(ids(found)).toEqual([newer.id, older.id]);
    expect(found[0]).toEqual(newer);
  });

  it('ignores uploads that are not completed, whatever their size and CRC64', async () => {
    const open = anUpload({ size: CONTENT.size, partCount: 1, crc64: CONTENT.crc64 });
    await store().create(open);
    const completing = anUpload({ size: CONTENT.size, partCount: 1, crc64: CONTENT.crc64 });
    await store().create(completing);
    await store().transition(completing.id, { from: ['open'], to: 'completing', at: at(10) });
    const aborted = anUpload({ size: CONTENT.size, partCount: 1, crc64: CONTENT.crc64 });
    await store().create(aborted);
    await store().transition(aborted.id, { from: ['open'], to: 'aborted', at: at(10) });
    expect(await store().findCompletedByContent('owner-a', CONTENT, 10)).toEqual([]);
  });

  it('finds an upload born completed (a 0-byte file written at create)', async () => {
    const empty = anUpload({
      state: 'completed',
      strategy: 'single',
      size: 0,
      partCount: 1,
      crc64: '0',
      etag: '"d41d8cd98f00b204e9800998ecf8427e"',
      completedAt: at(0),
    });
    await store().create(empty);
    expect(ids(await store().findCompletedByContent('owner-a', { size: 0, crc64: '0' }, 10))).toEqual([empty.id]);
  });

  it('keeps owners apart even when one owner’s name is a prefix of another’s', async () => {
    await completed(store(), { owner: 'a#b' });
    const mine = await completed(store(), { owner: 'a' });
    expect(ids(await store().findCompletedByContent('a', CONTENT, 10))).toEqual([mine.id]);
    expect(await store().findCompletedByContent('a#', CONTENT, 10)).toEqual([]);
  });

  it('answers at most `limit`, newest first', async () => {
    const made = [];
    for (let i = 0; i < 4; i++) made.push(await completed(store(), { createdAt: at(i) }));
    expect(ids(await store().findCompletedByContent('owner-a', CONTENT, 2))).toEqual([made[3]!.id, made[2]!.id]);
  });

  it('does not find an upload completed without a CRC64', async () => {
    const u = anUpload({ size: CONTENT.size, partCount: 1 });
    await store().create(u);
    await store().transition(u.id, { from: ['open'], to: 'completing', at: at(10) });
    await store().transition(u.id, {
      from: ['completing'],
      to: 'completed',
      at: at(20),
      set: { size: CONTENT.size, crc64: null, etag: '"e"', completedAt: at(20) },
    });
    expect(await store().findCompletedByContent('owner-a', CONTENT, 10)).toEqual([]);
  });
}
