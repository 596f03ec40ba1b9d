/**
 * BASELINE for bench/crc64.ts, not used by the product: shared/core/crc64.ts's combine as it was
 * before the benchmark work (commit c57db46) — GF(2) multiplications on BigInt.
 */

const POLY = 0xc96c5795d7870f42n;
const TOP = 1n << 63n;

/** a·b mod P, with polynomials in reflected bit order (x^0 is the top bit). */
function multModP(a: bigint, b: bigint): bigint {
  let m = TOP;
  let p = 0n;
  for (;;) {
    if (a & m) {
      p ^= b;
      if ((a & (m - 1n)) === 0n) break;
    }
    m >>= 1n;
    b = b & 1n ? (b >> 1n) ^ POLY : b >> 1n;
  }
  return p;
}

/** X2N[k] = x^(2^k) mod P. */
const X2N: bigint[] = [];
{
  let p = TOP >> 1n; // x^1
  for (let k = 0; k < 64; k++) {
    X2N.push(p);
    p = multModP(p, p);
  }
}

/** x^(n·2^k) mod P. */
function x2nModP(n: number, k: number): bigint {
  let p = TOP; // x^0
  let big = BigInt(n);
  while (big > 0n) {
    if (big & 1n) p = multModP(X2N[k % 64]!, p);
    big >>= 1n;
    k++;
  }
  return p;
}

/** CRC of A ++ B given crc(A), crc(B) and the byte length of B. */
function crc64Combine(crcA: bigint, crcB: bigint, lengthB: number): bigint {
  if (lengthB === 0) return crcA;
  return multModP(x2nModP(lengthB, 3), crcA) ^ crcB;
}

/** Combines part CRCs in order; parts are `{ crc64, size }` with decimal CRC strings. */
export function combinePartsBigInt(parts: readonly { crc64: string; size: number }[]): string {
  let acc: bigint | null = null;
  for (const p of parts) {
    const c = BigInt(p.crc64);
    acc = acc === null ? c : crc64Combine(acc, c, p.size);
  }
  return (acc ?? 0n).toString();
}
