import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { COS_MAX_PART_BYTES } from '../../shared/core/cos-limits.ts';
import { maxPartNumber, partLength, planUpload } from '../../shared/core/plan.ts';
import { isUploadError } from '../../shared/errors.ts';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
const defaults = {
  maxUploadBytes: 50 * GiB,
  maxParts: 10_000,
  minPartBytes: MiB,
  defaultPartBytes: 8 * MiB,
  singlePutMaxBytes: 20 * MiB,
};

const limitsArb = fc
  .record({
    maxParts: fc.integer({ min: 1, max: 10_000 }),
    minPartBytes: fc.integer({ min: MiB, max: 64 * MiB }),
    defaultExtra: fc.integer({ min: 0, max: 64 * MiB }),
    singlePutMaxBytes: fc.integer({ min: 0, max: 64 * MiB }),
    maxUploadBytes: fc.integer({ min: 1, max: 48 * 1024 * GiB }),
  })
  .map((l) => ({ ...l, defaultPartBytes: l.minPartBytes + l.defaultExtra }))
  .filter((l) => l.maxUploadBytes <= COS_MAX_PART_BYTES * l.maxParts);

describe('planUpload', () => {
  it('picks single up to SINGLE_PUT_MAX_BYTES and multipart above', () => {
    expect(planUpload({ size: 20 * MiB }, defaults)).toMatchObject({
      strategy: 'single',
      partCount: 1,
      size: 20 * MiB,
    });
    expect(planUpload({ size: 0 }, defaults)).toMatchObject({ strategy: 'single', partCount: 1 });
    expect(planUpload({ size: 20 * MiB + 1 }, defaults)).toMatchObject({
      strategy: 'multipart',
      partSize: 8 * MiB,
      partCount: 3,
    });
  });

  it('honours a legal partSize wish and ignores an illegal one', () => {
    expect(planUpload({ size: 100 * MiB, partSize: 5 * MiB }, defaults).partSize).toBe(5 * MiB);
    expect(planUpload({ size: 100 * MiB, partSize: 1000 }, defaults).partSize).toBe(8 * MiB);
    expect(planUpload({ size: 100 * MiB, partSize: 6 * GiB }, defaults).partSize).toBe(8 * MiB);
  });

  it('raises the part size so 50 GiB fits in 10,000 parts', () => {
    const p = planUpload({ size: 50 * GiB }, defaults);
    expect(p.partCount).toBeLessThanOrEqual(10_000);
    expect(p.partSize).toBeGreaterThanOrEqual(Math.ceil((50 * GiB) / 10_000));
  });

  it('refuses sizes over the limit with UPLOAD_TOO_LARGE', () => {
    for (const req of [{ size: 50 * GiB + 1 }, { maxSize: 50 * GiB + 1 }]) {
      try {
        planUpload(req, defaults);
        expect.unreachable();
      } catch (e) {
        expect(isUploadError(e) && e.code).toBe('UPLOAD_TOO_LARGE');
      }
    }
  });

  it('unknown size: bounded by maxSize, partCount null, plan fits maxSize', () => {
    const p = planUpload({ maxSize: 200 * GiB }, { ...defaults, maxUploadBytes: 1024 * GiB });
    expect(p).toMatchObject({ strategy: 'multipart', size: null, partCount: null, maxSize: 200 * GiB });
    expect(maxPartNumber(p) * p.partSize).toBeGreaterThanOrEqual(200 * GiB);
    expect(maxPartNumber(p)).toBeLessThanOrEqual(10_000);
  });

  it('property: every known-size plan covers the size exactly and respects every limit', () => {
    fc.assert(
      fc.property(
        limitsArb,
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.option(fc.integer({ min: 1, max: 6 * GiB })),
        (limits, frac, wish) => {
          const size = Math.floor(frac * limits.maxUploadBytes);
          const p = planUpload({ size, partSize: wish ?? undefined }, limits);
          expect(p.partCount).not.toBeNull();
          const count = p.partCount!;
          expect(count).toBeGreaterThanOrEqual(1);
          expect(count).toBeLessThanOrEqual(Math.min(10_000, p.strategy === 'single' ? 1 : limits.maxParts));
          for (const n of [1, count]) expect(partLength(p, n)).toBeGreaterThanOrEqual(0);
          const total = (count - 1) * p.partSize + partLength(p, count)!;
          expect(total).toBe(size);
          if (p.strategy === 'multipart') {
            expect(p.partSize).toBeGreaterThanOrEqual(limits.minPartBytes);
            expect(p.partSize).toBeLessThanOrEqual(COS_MAX_PART_BYTES);
            expect(partLength(p, count)).toBeGreaterThan(0);
            expect(partLength(p, count)).toBeLessThanOrEqual(p.partSize);
            if (
              wish &&
              wish >= limits.minPartBytes &&
              wish <= COS_MAX_PART_BYTES &&
              Math.ceil(size / wish) <= limits.maxParts
            ) {
              expect(p.partSize).toBe(wish);
            }
          } else {
            expect(size).toBeLessThanOrEqual(limits.singlePutMaxBytes);
          }
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('property: unknown-size plans fit maxSize within MAX_PARTS', () => {
    fc.assert(
      fc.property(limitsArb, fc.double({ min: 0, max: 1, noNaN: true }), (limits, frac) => {
        const maxSize = Math.max(1, Math.floor(frac * limits.maxUploadBytes));
        const p = planUpload({ maxSize }, limits);
        expect(maxPartNumber(p)).toBeLessThanOrEqual(Math.min(limits.maxParts, 10_000));
        expect(maxPartNumber(p) * p.partSize).toBeGreaterThanOrEqual(maxSize);
        expect(p.partSize).toBeGreaterThanOrEqual(limits.minPartBytes);
      }),
      { numRuns: 1000 },
    );
  });
});
