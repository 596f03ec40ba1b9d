import { afterEach, beforeEach, describe, it } from 'vitest';
import type { UploadStore } from '../../shared/ports.ts';
import { concurrencyContract } from './concurrency.contract.ts';
import { contentContract } from './content.contract.ts';
import type { StoreUnderTest } from './fixtures.ts';
import { idempotencyContract } from './idempotency.contract.ts';
import { listingsContract } from './listings.contract.ts';
import { partsContract } from './parts.contract.ts';
import { quotaContract } from './quota.contract.ts';
import { recordsContract } from './records.contract.ts';

/**
 * The UploadStore contract (the doc comments of shared/ports.ts), run unchanged against every
 * adapter. `make` is called before each test and must return an empty store of its own: listings
 * and sweeps see everything in the store. Its `close` runs after the store's own `close()` may have.
 */
export function describeUploadStoreContract(name: string, make: () => Promise<StoreUnderTest>): void {
  describe(`UploadStore contract: ${name}`, () => {
    let current: StoreUnderTest | undefined;
    const store = (): UploadStore => {
      if (!current) throw new Error('store not made yet');
      return current.store;
    };
    beforeEach(async () => {
      current = await make();
    });
    afterEach(async () => {
      await current?.close();
      current = undefined;
    });

    describe('records and transitions', () => recordsContract(store));
    describe('parts and activity', () => partsContract(store));
    describe('listings', () => listingsContract(store));
    describe('concurrency', () => concurrencyContract(store));
    describe('lookup by content (dedupe)', () => contentContract(store));
    describe('idempotency keys', () => idempotencyContract(store));
    describe('quota', () =>
      quotaContract(() => {
        if (!current) throw new Error('store not made yet');
        return current;
      }));
    describe('lifecycle', () => {
      it('close() releases the store, and a second close() is harmless', async () => {
        await store().close();
        await store().close();
      });
    });
  });
}
