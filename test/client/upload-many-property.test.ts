import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { FetchLike } from '../../client/types.ts';
import { runUploadMany } from '../../client/upload-many.ts';
import { FakeBackend, noWait, testBytes } from './fake-backend.ts';

/**
 * uploadMany's scheduler under random sets, quotas and failures (fake backend, fault injection):
 * whatever the mix, every file ends completed and byte-exact, in input order, each created exactly
 * once; and when the client knows the quota (`maxOpenUploads`, or `GET /v1/limits`) it is never
 * refused for it. The fake counts `completing` uploads as open too, stricter than the server.
 */

const PART = 1000;

/** How the client learns the owner's quota: told, read from the server, or not at all (refusals teach it). */
type Knows = 'option' | 'limits' | 'nothing';

const size = fc.oneof(fc.integer({ min: 1, max: PART }), fc.integer({ min: PART + 1, max: 3 * PART }));

const scenario = fc.record({
  // Both sides of 50 files to create, where uploadMany starts reading the limits.
  sizes: fc.oneof(fc.array(size, { minLength: 1, maxLength: 50 }), fc.array(size, { minLength: 51, maxLength: 200 })),
  // Small quotas (below the first batch of 16) as often as large ones.
  quota: fc.oneof(fc.integer({ min: 1, max: 20 }), fc.integer({ min: 21, max: 150 })),
  knows: fc.constantFrom<Knows>('option', 'limits', 'nothing'),
  concurrency: fc.integer({ min: 1, max: 8 }),
  batchSize: fc.integer({ min: 1, max: 100 }),
  /** Batch creates whose first attempt answers 503 (nothing created). */
  failingCreates: fc.uniqueArray(fc.nat({ max: 20 }), { maxLength: 3 }),
});

describe('uploadMany scheduling (property)', () => {
  it('completes every file once, in order, and keeps within a quota it knows', async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async ({ sizes, quota, knows, concurrency, batchSize, failingCreates }) => {
        let creates = 0;
        const fake = new FakeBackend({
          partSize: PART,
          singleMax: PART,
          maxOpen: quota,
          apiFault: ({ route, attempt }) =>
            route === 'batchCreate' && attempt === 0 && failingCreates.includes(creates++)
              ? { status: 503 }
              : undefined,
        });
        let refusals = 0;
        const fetch = (async (url: string, init?: RequestInit) => {
          if (new URL(url).pathname === '/v1/limits') {
            return knows === 'limits'
              ? Response.json({ maxOpenUploadsPerOwner: quota })
              : new Response('', { status: 404 });
          }
          const res = await fake.fetch(url, init);
          if (url.endsWith('/v1/uploads/batch') && res.ok) {
            const body = (await res.clone().json()) as { results: { error?: { code: string } }[] };
            refusals += body.results.filter((r) => r.error?.code === 'TOO_MANY_OPEN_UPLOADS').length;
          }
          return res;
        }) as FetchLike;
        const files = sizes.map((n, i) => ({ source: testBytes(n, i + 1), fileName: `f${i}.bin` }));
        const results = await runUploadMany(
          files,
          {
            baseUrl: fake.api,
            token: 't0k',
            fetch,
            concurrency,
            batchSize,
            completeDelayMs: 0,
            ...(knows === 'option' ? { maxOpenUploads: quota } : {}),
          },
          { retry: noWait },
        );
        expect(results.map((r) => [r.index, r.state])).toEqual(files.map((_, i) => [i, 'completed']));
        for (const r of results)
          if (r.state === 'completed') expect(fake.object(r.upload.id)).toEqual(files[r.index]!.source);
        expect(fake.uploads.size).toBe(files.length);
        // Told or read, the quota is never crossed; only a client that knows nothing learns it from a refusal.
        if (knows === 'option' || (knows === 'limits' && files.length > 50)) expect(refusals).toBe(0);
        expect(fake.contract.violations).toEqual([]);
      }),
      { numRuns: 60 },
    );
  });
});
