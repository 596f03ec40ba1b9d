/**
 * PROTOTYPE, not production code: a drop-in for shared/cos/presign.ts's Presigner (same
 * constructor, same presignPut, byte-identical URLs — bench/signing.ts checks that on every run)
 * that shows what the signing benchmark's 3x target needs. Profiling the production presigner
 * (10,000 UploadPart URLs) puts the time in string work, not in crypto: canonicalPairs
 * (Object.entries/filter/map/sort per call), cosEncode's regex replace on values that need no
 * encoding, re-encoding the key for the URL every time, and rebuilding the Authorization string
 * only to parse it back into URL params. This version:
 *  - remembers the key's encoded forms for consecutive calls (a batch presigns one key),
 *  - skips encoding of values that are already unreserved (part numbers, upload ids, lengths),
 *  - uses the one-shot `crypto.hash` for the SHA-1 of the HttpString, and for the signature's
 *    HMAC too (RFC 2104 over SHA-1 with the signKey's padded blocks prepared once per window):
 *    createHmac imports the key anew on every call, which cost as much as the rest together,
 *  - writes the `q-*` URL params directly.
 */
import { hash } from 'node:crypto';
import type { PresignInput } from '../../shared/cos/presign.ts';
import { cosEncode, isSignableHeader, keyTime, signKey } from '../../shared/cos/signer.ts';
import { type Endpoint, encodeKeyPath } from '../../shared/cos/url.ts';
import type { PresignedRequest } from '../../shared/ports.ts';

const SKEW_SECONDS = 60;
/** Characters encodeURIComponent and cosEncode both leave alone. */
const UNRESERVED = /^[A-Za-z0-9_.~-]*$/;
const encodeValue = (v: string): string => (UNRESERVED.test(v) ? v : cosEncode(v));

const SHA1_BLOCK = 64;
const SHA1_BYTES = 20;

/** HMAC-SHA1 with a key shorter than a block (the 40-hex-char signKey), as two one-shot hashes. */
class HmacSha1 {
  readonly #innerPad: string;
  /** Outer pad followed by room for the inner digest; reused, as every use is synchronous. */
  readonly #outer = Buffer.alloc(SHA1_BLOCK + SHA1_BYTES);

  constructor(key: string) {
    const k = Buffer.alloc(SHA1_BLOCK);
    // A hex key keeps both pads ASCII, which lets hex() hash a plain string.
    if (!/^[0-9a-f]{1,64}$/.test(key)) throw new RangeError('HMAC key must be at most 64 hex digits');
    k.write(key, 'latin1');
    const inner = Buffer.alloc(SHA1_BLOCK);
    for (let i = 0; i < SHA1_BLOCK; i++) {
      inner[i] = k[i]! ^ 0x36;
      this.#outer[i] = k[i]! ^ 0x5c;
    }
    this.#innerPad = inner.toString('latin1');
  }

  /** `message` must be ASCII (a StringToSign is); so is the pad of a hex key, so no Buffer is needed. */
  hex(message: string): string {
    const inner = hash('sha1', this.#innerPad + message, 'buffer');
    inner.copy(this.#outer, SHA1_BLOCK);
    return hash('sha1', this.#outer, 'hex');
  }
}

const names = new Map<string, string>();
const encodeName = (k: string): string => {
  let e = names.get(k);
  if (e === undefined) {
    e = cosEncode(k).toLowerCase();
    if (names.size < 256) names.set(k, e);
  }
  return e;
};

type Pair = [name: string, value: string];

/** Inserts keeping the pairs sorted by encoded name (a PUT signs a handful, so insertion sort). */
function insertSorted(pairs: Pair[], pair: Pair): void {
  let i = pairs.length;
  pairs.push(pair);
  while (i > 0 && pairs[i - 1]![0] > pair[0]) {
    pairs[i] = pairs[i - 1]!;
    i--;
  }
  pairs[i] = pair;
}

/** Canonical `list` and `string` (see signer.ts canonicalPairs). */
function canonical(pairs: readonly Pair[]): [list: string, str: string] {
  let list = '';
  let str = '';
  for (let i = 0; i < pairs.length; i++) {
    const [k, v] = pairs[i]!;
    list += i ? `;${k}` : k;
    str += i ? `&${k}=${v}` : `${k}=${v}`;
  }
  return [list, str];
}

export class FastPresigner {
  readonly #endpoint: Endpoint;
  readonly #secretId: string;
  readonly #secretKey: string;
  readonly #tokenParam: string;
  readonly #hostPair: Pair;
  #window: { start: number; end: number; kt: string; hmac: HmacSha1; ktParam: string; expiresAt: string } | null = null;
  #object: { key: string; base: string } | null = null;

  constructor(endpoint: Endpoint, secretId: string, secretKey: string, sessionToken?: string) {
    this.#endpoint = endpoint;
    this.#secretId = encodeURIComponent(secretId);
    this.#secretKey = secretKey;
    this.#hostPair = ['host', encodeValue(endpoint.host)];
    this.#tokenParam = sessionToken ? `&x-cos-security-token=${encodeURIComponent(sessionToken)}` : '';
  }

  presignPut(input: PresignInput): PresignedRequest {
    const nowSeconds = Math.floor(input.now.getTime() / 1000);
    const w = this.#windowFor(nowSeconds - SKEW_SECONDS, nowSeconds + input.expiresSeconds);
    if (this.#object?.key !== input.key) {
      this.#object = { key: input.key, base: `${this.#endpoint.base}/${encodeKeyPath(input.key)}` };
    }
    const params: Pair[] = [];
    let qs = '';
    for (const k in input.query) {
      const v = String(input.query[k]);
      insertSorted(params, [encodeName(k), encodeValue(v)]);
      // As url.ts queryString: an empty value renders bare (`?uploads`).
      const part = v === '' ? encodeURIComponent(k) : `${encodeURIComponent(k)}=${encodeURIComponent(v)}`;
      qs += qs ? `&${part}` : `?${part}`;
    }
    const headers: Pair[] = [this.#hostPair];
    for (const k in input.headers) {
      if (k !== 'host' && isSignableHeader(k)) insertSorted(headers, [encodeName(k), encodeValue(input.headers[k]!)]);
    }
    const [paramList, paramString] = canonical(params);
    const [headerList, headerString] = canonical(headers);
    const http = `put\n/${input.key}\n${paramString}\n${headerString}\n`;
    const sig = w.hmac.hex(`sha1\n${w.kt}\n${hash('sha1', http)}\n`);
    const url =
      `${this.#object.base}${qs}${qs ? '&' : '?'}q-sign-algorithm=sha1&q-ak=${this.#secretId}` +
      `${w.ktParam}&q-header-list=${encodeURIComponent(headerList)}` +
      `&q-url-param-list=${encodeURIComponent(paramList)}&q-signature=${sig}${this.#tokenParam}`;
    return { method: 'PUT', url, headers: { ...input.headers }, expiresAt: w.expiresAt };
  }

  #windowFor(start: number, end: number) {
    if (this.#window?.start !== start || this.#window.end !== end) {
      const kt = keyTime(start, end);
      const e = encodeURIComponent(kt);
      this.#window = {
        start,
        end,
        kt,
        hmac: new HmacSha1(signKey(this.#secretKey, kt)),
        ktParam: `&q-sign-time=${e}&q-key-time=${e}`,
        expiresAt: new Date(end * 1000).toISOString(),
      };
    }
    return this.#window;
  }
}
