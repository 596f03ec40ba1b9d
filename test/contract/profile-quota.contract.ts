import { expect, it } from 'vitest';
import type { UploadStore } from '../../shared/ports.ts';
import { anUpload } from './fixtures.ts';

/**
 * create's `maxOpenInProfile` (upload profiles): the owner's open uploads of the same profile are
 * what it counts — not other profiles', not other owners', not terminal ones — and the owner
 * quota still holds over all of them. (Sequential: racing creates are the atomic quota's tests.)
 */
export function profileQuotaContract(store: () => UploadStore): void {
  it('admits an open upload only while its owner has fewer open ones in its profile', async () => {
    const s = store();
    const quota = { maxOpenPerOwner: 10, maxOpenInProfile: 2 };
    expect(await s.create(anUpload({ profile: 'avatars' }), quota)).toBe(true);
    expect(await s.create(anUpload({ profile: 'avatars' }), quota)).toBe(true);
    // Other profiles, no profile, other owners and finished uploads do not count.
    expect(await s.create(anUpload({ profile: 'videos' }), quota)).toBe(true);
    expect(await s.create(anUpload({ profile: null }), { maxOpenPerOwner: 10 })).toBe(true);
    expect(await s.create(anUpload({ owner: 'owner-b', profile: 'avatars' }), quota)).toBe(true);
    expect(await s.create(anUpload({ profile: 'avatars', state: 'aborted' }), quota)).toBe(true);
    expect(await s.create(anUpload({ profile: 'avatars' }), quota)).toBe(false);
    expect(await s.create(anUpload({ owner: 'owner-b', profile: 'avatars' }), quota)).toBe(true);
    expect(await s.create(anUpload({ owner: 'owner-b', profile: 'avatars' }), quota)).toBe(false);
    expect(await s.countOpenByOwner('owner-a')).toBe(4);
  });

  it('still holds the owner quota across every profile', async () => {
    const s = store();
    expect(await s.create(anUpload({ profile: 'a' }), { maxOpenPerOwner: 2, maxOpenInProfile: 5 })).toBe(true);
    expect(await s.create(anUpload({ profile: 'b' }), { maxOpenPerOwner: 2, maxOpenInProfile: 5 })).toBe(true);
    expect(await s.create(anUpload({ profile: 'a' }), { maxOpenPerOwner: 2, maxOpenInProfile: 5 })).toBe(false);
  });
}
