import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { COS_MIN_PART_BYTES, planCompose } from '../../shared/core/compose-plan.ts';
import { COS_MAX_PART_BYTES } from '../../shared/core/cos-limits.ts';
import { isUploadError } from '../../shared/errors.ts';

/** The compose planner: sources and ranges into Upload Part - Copy parts (436/8287). */

const GiB = 1024 ** 3;
const limits = { maxUploadBytes: 50_000 * GiB, maxParts: 10_000 };

/** Ranges of 1 MiB to 40 GiB (many over 5 GiB), at any offset, and a last one of any size. */
const ranges = fc
  .tuple(
    fc.array(
      fc.record({
        start: fc.integer({ min: 0, max: 10 * GiB }),
        length: fc.oneof(
          fc.integer({ min: COS_MIN_PART_BYTES, max: 40 * GiB }),
          fc.constantFrom(COS_MIN_PART_BYTES, COS_MAX_PART_BYTES, COS_MAX_PART_BYTES + 1, 2 * COS_MAX_PART_BYTES + 1),
        ),
      }),
      { maxLength: 30 },
    ),
    fc.record({ start: fc.integer({ min: 0, max: GiB }), length: fc.integer({ min: 1, max: 12 * GiB }) }),
  )
  .map(([head, last]) => [...head, last].map((r) => ({ start: r.start, end: r.start + r.length - 1 })));

describe('planCompose', () => {
  it('covers every range exactly, in order, with parts of 1 MiB to 5 GiB (the last may be smaller), numbered 1..N', () => {
    fc.assert(
      fc.property(ranges, (rs) => {
        const plan = planCompose(rs, limits);
        expect(plan.parts.map((p) => p.partNumber)).toEqual(plan.parts.map((_, i) => i + 1));
        // Each source's parts tile its range with no gap or overlap, and sources keep their order.
        let i = 0;
        for (const [s, r] of rs.entries()) {
          let next = r.start;
          const pieces = Math.ceil((r.end - r.start + 1) / COS_MAX_PART_BYTES);
          for (let k = 0; k < pieces; k++, i++) {
            const p = plan.parts[i]!;
            expect(p.source).toBe(s);
            expect(p.start).toBe(next);
            next = p.end + 1;
          }
          expect(next).toBe(r.end + 1);
        }
        expect(i).toBe(plan.parts.length);
        for (const [k, p] of plan.parts.entries()) {
          const n = p.end - p.start + 1;
          expect(n).toBeLessThanOrEqual(COS_MAX_PART_BYTES);
          if (k < plan.parts.length - 1) expect(n).toBeGreaterThanOrEqual(COS_MIN_PART_BYTES);
        }
        expect(plan.size).toBe(rs.reduce((t, r) => t + r.end - r.start + 1, 0));
        expect(plan.partSize).toBe(Math.max(...plan.parts.map((p) => p.end - p.start + 1)));
      }),
    );
  });

  it('names every source under 1 MiB that is not the last (path sources.<i>), and only those', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 3 * 1024 * 1024 }), { minLength: 1, maxLength: 20 }), (sizes) => {
        const rs = sizes.map((n) => ({ start: 0, end: n - 1 }));
        const small = sizes.flatMap((n, i) => (i < sizes.length - 1 && n < COS_MIN_PART_BYTES ? [i] : []));
        let paths: unknown[] = [];
        try {
          planCompose(rs, limits);
        } catch (e) {
          if (!isUploadError(e) || e.code !== 'VALIDATION_FAILED') throw e;
          paths = (e.details.issues as { path: unknown[] }[]).map((x) => x.path);
        }
        expect(paths).toEqual(small.slice(0, 20).map((i) => ['sources', i]));
      }),
    );
  });

  it('refuses more parts than MAX_PARTS and a total over MAX_UPLOAD_BYTES with 413', () => {
    const big = Array.from({ length: 3 }, () => ({ start: 0, end: 11 * GiB - 1 }));
    expect(() => planCompose(big, { maxUploadBytes: limits.maxUploadBytes, maxParts: 8 })).toThrow(
      expect.objectContaining({ code: 'UPLOAD_TOO_LARGE' }),
    );
    expect(planCompose(big, { maxUploadBytes: limits.maxUploadBytes, maxParts: 9 }).parts).toHaveLength(9);
    expect(() => planCompose(big, { maxUploadBytes: 33 * GiB - 1, maxParts: 10_000 })).toThrow(
      expect.objectContaining({ code: 'UPLOAD_TOO_LARGE' }),
    );
  });
});
