import { describe, expect, it } from 'vitest';
import { DEFAULT_EVENT_TYPES } from '../../shared/core/webhook-events.ts';
import { EVENT_TYPES } from '../../shared/ports.ts';
import { SqliteUploadStore } from '../../shared/store/sqlite-store.ts';
import { anUpload, at } from './fixtures.ts';

/**
 * The SQLite outbox: `transition` (and `create`) write the event row in the same transaction as the
 * state change — every path to completed, aborted or expired goes through them — and only for a
 * change that happened.
 */
const open = (events: readonly (typeof EVENT_TYPES)[number][] = DEFAULT_EVENT_TYPES) =>
  new SqliteUploadStore({ path: ':memory:', events });

describe('SQLite outbox rows, written with the state change', () => {
  it('completed, aborted and expired each record their event, with the upload as written', async () => {
    const store = open();
    for (const [to, type] of [
      ['completed', 'upload.completed'],
      ['aborted', 'upload.aborted'],
      ['expired', 'upload.expired'],
    ] as const) {
      const u = anUpload();
      await store.create(u);
      const written = await store.transition(u.id, { from: ['open'], to, at: at(60), set: { etag: '"e"' } });
      const event = await store.events.get(`evt_${u.id}_${to}`);
      expect(event).toMatchObject({ type, uploadId: u.id, state: 'pending', attempts: 0, createdAt: at(60) });
      expect(event!.upload).toEqual(written);
      expect(await store.events.listDue(at(60), 10)).toContainEqual(event);
    }
  });

  it('a transition whose condition failed, or to a state with no event, records nothing', async () => {
    const store = open([...EVENT_TYPES]);
    const u = anUpload();
    await store.create(u);
    expect(await store.transition(u.id, { from: ['open'], to: 'completing', at: at(1) })).not.toBeNull();
    // A worker handing the upload back re-enters open: that is no creation.
    expect(await store.transition(u.id, { from: ['completing'], to: 'open', at: at(1) })).not.toBeNull();
    await store.events.update(`evt_${u.id}_created`, { state: 'pending', attempts: 0 }, { state: 'delivered' });
    expect((await store.events.get(`evt_${u.id}_created`))?.createdAt).toBe(u.updatedAt);
    expect(await store.transition(u.id, { from: ['open'], to: 'completing', at: at(1) })).not.toBeNull();
    expect(await store.transition(u.id, { from: ['open'], to: 'aborted', at: at(2) })).toBeNull();
    expect(await store.transition('upl_unknown', { from: ['open'], to: 'aborted', at: at(2) })).toBeNull();
    const ids = (await store.events.list({ limit: 100 })).items.map((e) => e.id);
    expect(ids).toEqual([`evt_${u.id}_created`]);
  });

  it('upload.created only when listed; nothing at all without WEBHOOK_URL (no event types)', async () => {
    const none = new SqliteUploadStore({ path: ':memory:' });
    const u = anUpload();
    await none.create(u);
    await none.transition(u.id, { from: ['open'], to: 'aborted', at: at(1) });
    expect((await none.events.list({ limit: 10 })).items).toEqual([]);
    const defaults = open();
    await defaults.create(anUpload());
    expect((await defaults.events.list({ limit: 10 })).items).toEqual([]);
  });

  it('the same event twice is one row; updates are conditional on what was read', async () => {
    const store = open();
    const u = anUpload();
    await store.create(u);
    await store.transition(u.id, { from: ['open'], to: 'aborted', at: at(1) });
    const e = (await store.events.get(`evt_${u.id}_aborted`))!;
    expect(await store.events.record(e)).toBe(false);
    const claimed = await store.events.update(e.id, { state: 'pending', attempts: 0 }, { attempts: 1 });
    expect(claimed?.attempts).toBe(1);
    // A second claim of the same attempt loses.
    expect(await store.events.update(e.id, { state: 'pending', attempts: 0 }, { attempts: 1 })).toBeNull();
    const failed = await store.events.update(
      e.id,
      { state: 'pending', attempts: 1 },
      { state: 'failed', nextAttemptAt: null },
    );
    expect(failed).toMatchObject({ state: 'failed', nextAttemptAt: null });
    expect(await store.events.listDue(at(1_000_000), 10)).toEqual([]);
    expect((await store.events.list({ state: 'failed', limit: 10 })).items.map((x) => x.id)).toEqual([e.id]);
  });
});
