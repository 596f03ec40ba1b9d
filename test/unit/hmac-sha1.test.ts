import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HmacSha1 } from '../../shared/cos/hmac-sha1.ts';

const ascii = (max: number) =>
  fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: max });

describe('HmacSha1', () => {
  it('equals createHmac for any ASCII key up to a block and any message', () => {
    fc.assert(
      fc.property(ascii(64), fc.string({ unit: 'grapheme', maxLength: 300 }), (key, msg) => {
        const h = new HmacSha1(key);
        expect(h.hex(msg)).toBe(createHmac('sha1', key).update(msg).digest('hex'));
        // Reusing the instance (its buffer) gives the same answer.
        expect(h.hex(msg)).toBe(createHmac('sha1', key).update(msg).digest('hex'));
      }),
      { numRuns: 2000 },
    );
  });

  it('refuses keys it cannot handle rather than computing something else', () => {
    expect(() => new HmacSha1('k'.repeat(65))).toThrow(RangeError);
    expect(() => new HmacSha1('ü')).toThrow(RangeError);
  });
});
