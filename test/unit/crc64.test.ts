import { createRequire } from 'node:module';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Crc64, combineParts, crc64, crc64Combine } from '../../shared/core/crc64.ts';

// An independent implementation to compare against (the pure-JS package the benchmark also uses).
const require = createRequire(import.meta.url);
const reference = require('crc64-ecma182.js') as {
  crc64: (buf: Buffer) => string | bigint;
  toUInt64String?: (x: unknown) => string;
};
const ref = (b: Uint8Array): string => {
  const out = reference.crc64(Buffer.from(b)) as unknown;
  if (typeof out === 'string' || typeof out === 'bigint' || typeof out === 'number')
    return BigInt(out as string).toString();
  return reference.toUInt64String!(out);
};

describe('crc64 (CRC-64/XZ, COS x-cos-hash-crc64ecma)', () => {
  it('matches the check value', () => {
    expect(crc64(new TextEncoder().encode('123456789')).toString()).toBe('11051210869376104954');
    expect(crc64(new Uint8Array()).toString()).toBe('0');
  });

  it('matches an independent implementation on random data, whole and incremental', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 5000 }), fc.nat(5000), (data, cut) => {
        const split = Math.min(cut, data.length);
        const whole = crc64(data).toString();
        expect(whole).toBe(ref(data));
        expect(new Crc64().update(data.subarray(0, split)).update(data.subarray(split)).toString()).toBe(whole);
      }),
      { numRuns: 300 },
    );
  });

  it('combine of parts equals the CRC of the concatenation', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 3000 }), { minLength: 1, maxLength: 6 }), (parts) => {
        const all = Buffer.concat(parts);
        const combined = combineParts(parts.map((p) => ({ crc64: crc64(p).toString(), size: p.length })));
        expect(combined).toBe(crc64(all).toString());
      }),
      { numRuns: 200 },
    );
    expect(crc64Combine(5n, 0n, 0)).toBe(5n);
  });
});
