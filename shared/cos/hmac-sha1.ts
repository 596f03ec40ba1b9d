import { hash } from 'node:crypto';

const BLOCK = 64;
const DIGEST = 20;

/**
 * HMAC-SHA1 (RFC 2104) for one fixed key, as two one-shot `crypto.hash` calls over pads prepared
 * once. Presigning runs one HMAC per part URL with the same signKey; `createHmac` imports the key
 * and builds a stateful object every time, which cost as much as all the other per-URL work
 * (BENCHMARKS.md, signing). test/unit/hmac-sha1.test.ts proves it equal to `createHmac`.
 */
export class HmacSha1 {
  readonly #innerPad: string;
  /** The outer pad followed by room for the inner digest; reused, since every call is synchronous. */
  readonly #outer = Buffer.alloc(BLOCK + DIGEST);

  /** `key`: up to 64 ASCII characters (the signKey is 40 hex digits), so no key hashing is needed. */
  constructor(key: string) {
    if (!/^[\x20-\x7e]{0,64}$/.test(key)) throw new RangeError('HmacSha1 takes an ASCII key of at most 64 characters');
    const k = Buffer.alloc(BLOCK);
    k.write(key, 'latin1');
    const inner = Buffer.alloc(BLOCK);
    for (let i = 0; i < BLOCK; i++) {
      inner[i] = k[i]! ^ 0x36;
      this.#outer[i] = k[i]! ^ 0x5c;
    }
    this.#innerPad = inner.toString('latin1');
  }

  /**
   * Hex HMAC of `message` as UTF-8, like `createHmac(...).update(message)`. The pad is ASCII, so
   * UTF-8 of `pad + message` is the pad's bytes followed by the message's UTF-8 bytes.
   */
  hex(message: string): string {
    hash('sha1', this.#innerPad + message, 'buffer').copy(this.#outer, BLOCK);
    return hash('sha1', this.#outer, 'hex');
  }
}
