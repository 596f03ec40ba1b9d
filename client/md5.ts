/**
 * MD5 (RFC 1321) in plain TypeScript, for the `md5` upload option's Content-MD5 of each part. The
 * client runs in browsers and React Native as well as Node, and WebCrypto offers no MD5
 * (`SubtleCrypto.digest` knows only the SHA family), so the one implementation that runs
 * everywhere is this one; test/client/md5.test.ts holds it to `node:crypto`. It hashes ~8 MiB in
 * a few tens of milliseconds, like the part's CRC64 next to it.
 */

/** Per-round shift amounts. */
const S = [7, 12, 17, 22, 5, 9, 14, 20, 4, 11, 16, 23, 6, 10, 15, 21];
/** floor(abs(sin(i + 1)) * 2^32), written out: engines need not agree on the last bit of Math.sin. */
// prettier-ignore
const K = Int32Array.from([
  0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a, 0xa8304613, 0xfd469501,
  0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be, 0x6b901122, 0xfd987193, 0xa679438e, 0x49b40821,
  0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa, 0xd62f105d, 0x02441453, 0xd8a1e681, 0xe7d3fbc8,
  0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed, 0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a,
  0xfffa3942, 0x8771f681, 0x6d9d6122, 0xfde5380c, 0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70,
  0x289b7ec6, 0xeaa127fa, 0xd4ef3085, 0x04881d05, 0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665,
  0xf4292244, 0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92, 0xffeff47d, 0x85845dd1,
  0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1, 0xf7537e82, 0xbd3af235, 0x2ad7d2bb, 0xeb86d391,
]);

/** An incremental MD5: `update` any number of times, then `digest` once. */
export class Md5 {
  private a = 0x67452301;
  private b = 0xefcdab89 | 0;
  private c = 0x98badcfe | 0;
  private d = 0x10325476;
  private readonly block = new Uint8Array(64);
  private readonly words = new Int32Array(16);
  private used = 0;
  private bytes = 0;

  update(data: Uint8Array): this {
    this.bytes += data.length;
    let i = 0;
    if (this.used > 0) {
      const take = Math.min(64 - this.used, data.length);
      this.block.set(data.subarray(0, take), this.used);
      this.used += take;
      i = take;
      if (this.used < 64) return this;
      this.compress(this.block, 0);
      this.used = 0;
    }
    for (; i + 64 <= data.length; i += 64) this.compress(data, i);
    if (i < data.length) {
      this.block.set(data.subarray(i), 0);
      this.used = data.length - i;
    }
    return this;
  }

  /** The 16 digest bytes. */
  digest(): Uint8Array {
    const bits = this.bytes * 8;
    const pad = new Uint8Array(this.used < 56 ? 64 - this.used : 128 - this.used);
    pad[0] = 0x80;
    // The length in bits, 64-bit little-endian (the high word from a float, past 2^32 bits).
    const end = pad.length - 8;
    const lo = bits >>> 0;
    const hi = Math.floor(bits / 2 ** 32) >>> 0;
    for (let k = 0; k < 4; k++) {
      pad[end + k] = (lo >>> (8 * k)) & 0xff;
      pad[end + 4 + k] = (hi >>> (8 * k)) & 0xff;
    }
    const total = this.bytes;
    this.update(pad);
    this.bytes = total;
    const out = new Uint8Array(16);
    [this.a, this.b, this.c, this.d].forEach((w, j) => {
      for (let k = 0; k < 4; k++) out[j * 4 + k] = (w >>> (8 * k)) & 0xff;
    });
    return out;
  }

  private compress(src: Uint8Array, at: number): void {
    const x = this.words;
    for (let j = 0; j < 16; j++) {
      const o = at + j * 4;
      x[j] = src[o]! | (src[o + 1]! << 8) | (src[o + 2]! << 16) | (src[o + 3]! << 24);
    }
    let a = this.a;
    let b = this.b;
    let c = this.c;
    let d = this.d;
    for (let i = 0; i < 64; i++) {
      let f: number;
      let g: number;
      if (i < 16) {
        f = (b & c) | (~b & d);
        g = i;
      } else if (i < 32) {
        f = (d & b) | (~d & c);
        g = (5 * i + 1) & 15;
      } else if (i < 48) {
        f = b ^ c ^ d;
        g = (3 * i + 5) & 15;
      } else {
        f = c ^ (b | ~d);
        g = (7 * i) & 15;
      }
      const s = S[(i >> 4) * 4 + (i & 3)]!;
      const sum = (a + f + K[i]! + x[g]!) | 0;
      a = d;
      d = c;
      c = b;
      b = (b + ((sum << s) | (sum >>> (32 - s)))) | 0;
    }
    this.a = (this.a + a) | 0;
    this.b = (this.b + b) | 0;
    this.c = (this.c + c) | 0;
    this.d = (this.d + d) | 0;
  }
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** Base64 of bytes (no `btoa`/`Buffer` needed: React Native has neither everywhere). */
function base64(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0);
    out += B64[(n >> 18) & 63]! + B64[(n >> 12) & 63]!;
    out += i + 1 < bytes.length ? B64[(n >> 6) & 63]! : '=';
    out += i + 2 < bytes.length ? B64[n & 63]! : '=';
  }
  return out;
}

/** The `Content-MD5` value of `bytes`: base64 of their MD5 (RFC 1864). */
export const contentMd5 = (bytes: Uint8Array): string => base64(new Md5().update(bytes).digest());
