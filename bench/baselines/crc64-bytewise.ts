/**
 * BASELINE for bench/crc64.ts, not used by the product: shared/core/crc64.ts as it was before the
 * benchmark work (commit c57db46) — slicing-by-8 assembling each 32-bit word from four byte
 * loads. Kept so "before vs after" stays measurable on any machine.
 */
const POLY_LO = 0xd7870f42;
const POLY_HI = 0xc96c5795;

/** 8 tables × 256 entries, low and high halves: T[k][i] = CRC of byte i followed by k zero bytes. */
const LO = new Uint32Array(8 * 256);
const HI = new Uint32Array(8 * 256);

for (let i = 0; i < 256; i++) {
  let lo = i;
  let hi = 0;
  for (let b = 0; b < 8; b++) {
    const carry = lo & 1;
    lo = ((lo >>> 1) | ((hi & 1) << 31)) >>> 0;
    hi = hi >>> 1;
    if (carry) {
      lo = (lo ^ POLY_LO) >>> 0;
      hi = (hi ^ POLY_HI) >>> 0;
    }
  }
  LO[i] = lo;
  HI[i] = hi;
}
for (let k = 1; k < 8; k++) {
  for (let i = 0; i < 256; i++) {
    const plo = LO[(k - 1) * 256 + i]!;
    const phi = HI[(k - 1) * 256 + i]!;
    const idx = plo & 0xff;
    LO[k * 256 + i] = (LO[idx]! ^ ((plo >>> 8) | (phi << 24))) >>> 0;
    HI[k * 256 + i] = (HI[idx]! ^ (phi >>> 8)) >>> 0;
  }
}

/** Incremental CRC-64/XZ. `new Crc64().update(a).update(b).digest()` = crc64(a ++ b). */
class Crc64 {
  // Stored pre-inverted (the register itself), so update() needs no xor per call.
  private lo = 0xffffffff;
  private hi = 0xffffffff;

  update(data: Uint8Array): this {
    let lo = this.lo;
    let hi = this.hi;
    const n = data.length;
    let i = 0;
    const end8 = n - (n % 8);
    while (i < end8) {
      const a = (lo ^ (data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24))) >>> 0;
      const b = (hi ^ (data[i + 4]! | (data[i + 5]! << 8) | (data[i + 6]! << 16) | (data[i + 7]! << 24))) >>> 0;
      const i7 = 7 * 256 + (a & 0xff);
      const i6 = 6 * 256 + ((a >>> 8) & 0xff);
      const i5 = 5 * 256 + ((a >>> 16) & 0xff);
      const i4 = 4 * 256 + (a >>> 24);
      const i3 = 3 * 256 + (b & 0xff);
      const i2 = 2 * 256 + ((b >>> 8) & 0xff);
      const i1 = 256 + ((b >>> 16) & 0xff);
      const i0 = b >>> 24;
      lo = LO[i7]! ^ LO[i6]! ^ LO[i5]! ^ LO[i4]! ^ LO[i3]! ^ LO[i2]! ^ LO[i1]! ^ LO[i0]!;
      hi = HI[i7]! ^ HI[i6]! ^ HI[i5]! ^ HI[i4]! ^ HI[i3]! ^ HI[i2]! ^ HI[i1]! ^ HI[i0]!;
      i += 8;
    }
    for (; i < n; i++) {
      const idx = (lo ^ data[i]!) & 0xff;
      lo = LO[idx]! ^ ((lo >>> 8) | (hi << 24));
      hi = HI[idx]! ^ (hi >>> 8);
    }
    this.lo = lo >>> 0;
    this.hi = hi >>> 0;
    return this;
  }

  digest(): bigint {
    return (BigInt(~this.hi >>> 0) << 32n) | BigInt(~this.lo >>> 0);
  }

  /** Unsigned decimal, the form COS uses in headers. */
  toString(): string {
    return this.digest().toString();
  }
}

/** CRC-64/XZ of one buffer. */
export const crc64Bytewise = (data: Uint8Array): bigint => new Crc64().update(data).digest();
