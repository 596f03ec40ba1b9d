import { expect, it } from 'vitest';
import type { UploadStore } from '../../shared/ports.ts';
import { anUpload, at } from './fixtures.ts';

/** create / get / transition: round-trips and the conditional state change. */
export function recordsContract(store: () => UploadStore): void {
  it('round-trips an upload with every optional field null and no metadata', async () => {
    const u = anUpload();
    await store().create(u);
    expect(await store().get(u.id)).toEqual(u);
  });

  it('round-trips an upload with every field set', async () => {
    const u = anUpload({
      state: 'completed',
      strategy: 'single',
      cosUploadId: '1700000000abcdef',
      fileName: 'holiday ☀️ "final".mp4',
      contentType: 'video/mp4',
      size: 53_660_000_000_000,
      maxSize: 53_660_000_000_000,
      partSize: 5 * 1024 ** 3,
      partCount: 10_000,
      metadata: { album: '2026', 'x-y': 'ünïcode & <xml>', empty: '' },
      crc64: '18446744073709551615',
      completedAt: at(60),
      etag: '"0123456789abcdef0123456789abcdef-10000"',
      location: 'https://uploads-1250000000.cos.ap-guangzhou.myqcloud.com/u/k',
      updatedAt: at(60),
      lastActivityAt: at(30),
    });
    await store().create(u);
    expect(await store().get(u.id)).toEqual(u);
  });

  it('round-trips a compose (its sources) and an append upload', async () => {
    const compose = anUpload({
      state: 'completing',
      size: 3 * 1024 ** 2,
      partCount: 2,
      composeSources: [
        { uploadId: 'upl_a', key: 'u/h/upl_a/a.bin', start: 0, end: 2 * 1024 ** 2 - 1, crc64: '18446744073709551615' },
        { uploadId: 'upl_b', key: 'u/h/upl_b/ü b.bin', start: 7, end: 1024 ** 2 + 6, crc64: null },
      ],
    });
    const append = anUpload({ strategy: 'append', maxSize: 5 * 1024 ** 3 });
    for (const u of [compose, append]) {
      await store().create(u);
      expect(await store().get(u.id)).toEqual(u);
    }
  });

  it('returns null for an unknown id', async () => {
    expect(await store().get('upl_unknown')).toBeNull();
  });

  it('refuses a duplicate id and keeps the first record', async () => {
    const u = anUpload();
    await store().create(u);
    await expect(store().create({ ...u, owner: 'someone-else' })).rejects.toThrow();
    expect(await store().get(u.id)).toEqual(u);
  });

  it('applies a transition from an allowed state, writing the patch and updatedAt only', async () => {
    const u = anUpload({ crc64: '42', cosUploadId: 'cos-1' });
    await store().create(u);
    const done = await store().transition(u.id, {
      from: ['open'],
      to: 'completing',
      at: at(100),
      set: { size: 123, partCount: 1, etag: '"e"', crc64: null, completedAt: undefined },
    });
    const expected = {
      ...u,
      state: 'completing',
      updatedAt: at(100),
      size: 123,
      partCount: 1,
      etag: '"e"',
      crc64: null,
    };
    expect(done).toEqual(expected);
    expect(await store().get(u.id)).toEqual(expected);
  });

  it('writes every patchable field', async () => {
    const u = anUpload();
    await store().create(u);
    const set = {
      cosUploadId: 'cos-2',
      size: 10,
      partCount: 2,
      crc64: '7',
      completedAt: at(5),
      etag: '"x-2"',
      location: 'https://l/',
    };
    const done = await store().transition(u.id, { from: ['open', 'completing'], to: 'completed', at: at(5), set });
    expect(done).toEqual({ ...u, ...set, state: 'completed', updatedAt: at(5) });
  });

  it('refuses a transition from any other state and changes nothing', async () => {
    const u = anUpload({ state: 'completing' });
    await store().create(u);
    expect(await store().transition(u.id, { from: ['open'], to: 'aborted', at: at(9) })).toBeNull();
    expect(await store().transition(u.id, { from: [], to: 'aborted', at: at(9) })).toBeNull();
    expect(await store().get(u.id)).toEqual(u);
  });

  it('with idleBefore, transitions only an upload idle since before it (activity wins over the sweep)', async () => {
    const u = anUpload({ lastActivityAt: at(30) });
    await store().create(u);
    expect(
      await store().transition(u.id, { from: ['open'], to: 'aborted', at: at(40), idleBefore: at(30) }),
    ).toBeNull();
    expect((await store().get(u.id))!.state).toBe('open');
    const ended = await store().transition(u.id, { from: ['open'], to: 'aborted', at: at(40), idleBefore: at(31) });
    expect(ended?.state).toBe('aborted');
  });

  it('returns null for a transition of an unknown id and does not create it', async () => {
    expect(await store().transition('upl_nope', { from: ['open'], to: 'aborted', at: at(1) })).toBeNull();
    expect(await store().get('upl_nope')).toBeNull();
  });

  it('walks a whole life: open → completing → open → completing → completed, terminal after', async () => {
    const u = anUpload();
    await store().create(u);
    const step = (from: 'open' | 'completing', to: 'open' | 'completing' | 'completed', s: number) =>
      store().transition(u.id, { from: [from], to, at: at(s) });
    expect((await step('open', 'completing', 1))?.state).toBe('completing');
    expect((await step('completing', 'open', 2))?.state).toBe('open');
    expect((await step('open', 'completing', 3))?.state).toBe('completing');
    expect((await step('completing', 'completed', 4))?.state).toBe('completed');
    expect(await step('open', 'completing', 5)).toBeNull();
    expect(await step('completing', 'completed', 5)).toBeNull();
    expect((await store().get(u.id))?.updatedAt).toBe(at(4));
  });
}
