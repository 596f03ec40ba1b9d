import { describe, expect, it } from 'vitest';
import { crc64 } from '../../shared/core/crc64.ts';
import { verifyParts } from '../../shared/core/verify-parts.ts';
import type { PartRecord, StoredPart } from '../../shared/ports.ts';

const MiB = 1024 * 1024;
const stored = (n: number, size: number, etag = `"e${n}"`): StoredPart => ({
  partNumber: n,
  etag,
  size,
  lastModified: '',
});
const rec = (n: number, etag = `e${n}`, crc: string | null = null): PartRecord => ({
  partNumber: n,
  etag,
  size: null,
  crc64: crc,
});
const base = { size: 2.5 * MiB, maxSize: 2.5 * MiB, partSize: MiB, crc64: null };

describe('verifyParts', () => {
  it('accepts a complete, consistent ledger and lists parts 1..N with COS ETags', () => {
    const r = verifyParts({
      ...base,
      ledger: [rec(1), rec(2), rec(3)],
      stored: [stored(1, MiB), stored(2, MiB), stored(3, MiB / 2)],
    });
    expect(r).toEqual({
      ok: true,
      value: {
        size: 2.5 * MiB,
        partCount: 3,
        expectedCrc64: null,
        parts: [1, 2, 3].map((n) => ({ partNumber: n, etag: `"e${n}"` })),
      },
    });
  });

  it('reports missing, wrong-size and ETag-mismatched parts all at once', () => {
    const r = verifyParts({
      ...base,
      ledger: [rec(1, 'other'), rec(2)],
      stored: [stored(1, MiB), stored(2, MiB - 1), stored(3, MiB / 2)],
    });
    expect(r).toEqual({
      ok: false,
      details: {
        missing: [3],
        wrongSize: [{ partNumber: 2, expected: MiB, actual: MiB - 1 }],
        etagMismatch: [{ partNumber: 1, recorded: '"other"', stored: '"e1"' }],
      },
    });
  });

  it('combines recorded part CRCs and refuses a mismatch with the declared file CRC', () => {
    const a = new Uint8Array(MiB).fill(1);
    const b = new Uint8Array(MiB / 2).fill(2);
    const parts = [rec(1, 'e1', crc64(a).toString()), rec(2, 'e2', crc64(b).toString())];
    const whole = crc64(Buffer.concat([a, b])).toString();
    const good = verifyParts({
      size: 1.5 * MiB,
      maxSize: 1.5 * MiB,
      partSize: MiB,
      crc64: whole,
      ledger: parts,
      stored: [stored(1, MiB), stored(2, MiB / 2)],
    });
    expect(good.ok && good.value.expectedCrc64).toBe(whole);
    const bad = verifyParts({
      size: 1.5 * MiB,
      maxSize: 1.5 * MiB,
      partSize: MiB,
      crc64: '12345',
      ledger: parts,
      stored: [stored(1, MiB), stored(2, MiB / 2)],
    });
    expect(bad.ok).toBe(false);
    expect(!bad.ok && bad.details.crc64Mismatch).toEqual({ expected: '12345', actual: whole });
  });

  it('unknown size: the highest stored part is the last, and the total must fit maxSize', () => {
    const ok = verifyParts({
      size: null,
      maxSize: 10 * MiB,
      partSize: MiB,
      crc64: null,
      ledger: [rec(1), rec(2)],
      stored: [stored(1, MiB), stored(2, 10)],
    });
    expect(ok.ok && ok.value).toMatchObject({ size: MiB + 10, partCount: 2 });
    const over = verifyParts({
      size: null,
      maxSize: MiB,
      partSize: MiB,
      crc64: null,
      ledger: [rec(1), rec(2)],
      stored: [stored(1, MiB), stored(2, 10)],
    });
    expect(over.ok).toBe(false);
  });

  it('ignores quotes and case when comparing ETags', () => {
    const r = verifyParts({ ...base, size: MiB, ledger: [rec(1, '"ABC"')], stored: [stored(1, MiB, 'abc')] });
    expect(r.ok).toBe(true);
  });
});
