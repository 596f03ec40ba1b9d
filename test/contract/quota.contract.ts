import fc from 'fast-check';
import { expect, it } from 'vitest';
import type { Transition, UploadState } from '../../shared/ports.ts';
import { anUpload, at, type StoreUnderTest } from './fixtures.ts';

const RACERS = 200;

/** The quota (UploadStore.create) under racing creates, and its counters against every lifecycle. */
export function quotaContract(current: () => StoreUnderTest): void {
  const store = () => current().store;

  it(`admits exactly the free slots when ${RACERS} creates race for 3, and one more after one leaves open`, async () => {
    const quota = { maxOpenPerOwner: 3 };
    const racers = Array.from({ length: RACERS }, (_, i) => anUpload({ owner: 'racer', createdAt: at(i) }));
    const won = await Promise.all(racers.map((u) => store().create(u, quota)));
    expect(won.filter(Boolean)).toHaveLength(3);
    const winners = racers.filter((_, i) => won[i]);
    expect(await store().countOpenByOwner('racer')).toBe(3);
    for (const u of racers.filter((_, i) => !won[i]).slice(0, 5)) expect(await store().get(u.id)).toBeNull();
    // `completing` has left the client's hands: it no longer counts.
    expect(await store().transition(winners[0]!.id, { from: ['open'], to: 'completing', at: at(500) })).not.toBeNull();
    const more = Array.from({ length: 50 }, () => anUpload({ owner: 'racer' }));
    expect((await Promise.all(more.map((u) => store().create(u, quota)))).filter(Boolean)).toHaveLength(1);
    expect(await store().countOpenByOwner('racer')).toBe(3);
    // Another owner has quota of its own.
    expect(await store().create(anUpload({ owner: 'other' }), quota)).toBe(true);
    // A reopen (the merged object was corrupt) counts again, even past the limit: it is not a new upload.
    expect(await store().transition(winners[0]!.id, { from: ['completing'], to: 'open', at: at(600) })).not.toBeNull();
    expect(await store().countOpenByOwner('racer')).toBe(4);
    expect(await store().create(anUpload({ owner: 'racer' }), quota)).toBe(false);
    if (current().counter) expect(await current().counter!('racer', null)).toBe(4);
  });

  it(`admits exactly a profile's free slots when ${RACERS} creates race, leaving other profiles alone`, async () => {
    const quota = { maxOpenPerOwner: 1_000, maxOpenInProfile: 3 };
    const racers = Array.from({ length: RACERS }, (_, i) =>
      anUpload({ owner: 'p', profile: i % 2 === 0 ? 'avatars' : 'videos' }),
    );
    const won = await Promise.all(racers.map((u) => store().create(u, quota)));
    const winners = racers.filter((_, i) => won[i]);
    expect(winners.filter((u) => u.profile === 'avatars')).toHaveLength(3);
    expect(winners.filter((u) => u.profile === 'videos')).toHaveLength(3);
    expect(await store().countOpenByOwner('p', 'avatars')).toBe(3);
    expect(await store().countOpenByOwner('p')).toBe(6);
    // The owner-wide limit still binds uploads with a profile; without one only it applies.
    expect(await store().create(anUpload({ owner: 'p', profile: 'docs' }), { maxOpenPerOwner: 6 })).toBe(false);
    expect(await store().create(anUpload({ owner: 'p' }), { maxOpenPerOwner: 7, maxOpenInProfile: 3 })).toBe(true);
    const avatar = winners.find((u) => u.profile === 'avatars')!;
    expect(await store().transition(avatar.id, { from: ['open'], to: 'aborted', at: at(9) })).not.toBeNull();
    const more = Array.from({ length: 30 }, () => anUpload({ owner: 'p', profile: 'avatars' }));
    expect((await Promise.all(more.map((u) => store().create(u, quota)))).filter(Boolean)).toHaveLength(1);
    if (current().counter) {
      expect(await current().counter!('p', 'avatars')).toBe(3);
      expect(await current().counter!('p', null)).toBe(7);
    }
  });

  it('keeps the counters equal to the open uploads over random interleavings of every transition', async () => {
    const owners = ['a', 'b'];
    const profiles = [null, 'avatars'];
    let run = 0;
    let commands = 0;
    // A transition as the core makes it, by name (complete, the worker's three outcomes, abort, the sweep's two).
    const moves: Record<string, Omit<Transition, 'at'>> = {
      complete: { from: ['open'], to: 'completing' },
      finish: { from: ['completing'], to: 'completed' },
      reopen: { from: ['completing'], to: 'open' },
      giveUp: { from: ['completing'], to: 'aborted' },
      abort: { from: ['open'], to: 'aborted' },
      expire: { from: ['open'], to: 'expired' },
      sweepIdle: { from: ['open'], to: 'aborted', idleBefore: at(1) },
      handBack: { from: ['completing'], to: 'completing' },
    };
    const op = fc.oneof(
      fc.record({
        kind: fc.constant('create' as const),
        owner: fc.constantFrom(...owners),
        profile: fc.constantFrom(...profiles),
        max: fc.integer({ min: 1, max: 4 }),
        born: fc.constantFrom<UploadState>('open', 'open', 'open', 'completed'),
      }),
      fc.record({
        kind: fc.constant('move' as const),
        move: fc.constantFrom(...Object.keys(moves)),
        pick: fc.nat(),
      }),
    );
    // Each step is a burst of 1–3 operations fired at once, so transitions of one upload also race.
    const program = fc.array(fc.array(op, { minLength: 1, maxLength: 3 }), { minLength: 5, maxLength: 12 });
    await fc.assert(
      fc.asyncProperty(program, async (steps) => {
        run++;
        const ids: string[] = [];
        const ownerOf = (o: string) => `run${run}-${o}`;
        let tick = 10;
        for (const burst of steps) {
          commands += burst.length;
          await Promise.all(
            burst.map(async (c) => {
              const now = at(tick++);
              if (c.kind === 'create') {
                const u = anUpload({ owner: ownerOf(c.owner), profile: c.profile, state: c.born, createdAt: now });
                if (await store().create(u, { maxOpenPerOwner: c.max, maxOpenInProfile: c.max })) ids.push(u.id);
                return;
              }
              if (ids.length === 0) return;
              const id = ids[c.pick % ids.length]!;
              await store().transition(id, { ...moves[c.move]!, at: now });
            }),
          );
          // The truth, from the records, once per burst; then every counter against it.
          for (const owner of owners) {
            const records = (await store().list({ owner: ownerOf(owner), limit: 100 })).items;
            for (const profile of [undefined, 'avatars'] as const) {
              const truth = records.filter(
                (u) => u.state === 'open' && (profile === undefined || u.profile === profile),
              ).length;
              expect(await store().countOpenByOwner(ownerOf(owner), profile)).toBe(truth);
              if (current().counter) expect(await current().counter!(ownerOf(owner), profile ?? null)).toBe(truth);
            }
          }
        }
      }),
      { numRuns: 60, seed: 18, endOnFailure: true },
    );
    console.info(`quota model: ${run} runs, ${commands} operations`);
    expect(commands).toBeGreaterThan(800);
  }, 120_000);
}
