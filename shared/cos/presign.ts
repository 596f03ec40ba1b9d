import { hash } from 'node:crypto';
import type { PresignedRequest } from '../ports.ts';
import { HmacSha1 } from './hmac-sha1.ts';
import { cosEncode, isSignableHeader, keyTime, signKey } from './signer.ts';
import { type Endpoint, encodeKeyPath } from './url.ts';

export interface PresignInput {
  key: string;
  /** Signed into q-url-param-list (partNumber, uploadId). */
  query: Record<string, string | number>;
  /** Bound by the signature and returned for the client to send exactly. */
  headers: Record<string, string>;
  now: Date;
  expiresSeconds: number;
}

/** A minute back so a COS clock slightly behind ours still accepts the window. */
const SKEW_SECONDS = 60;

/** Characters that encodeURIComponent and cosEncode both leave alone: no encoding work needed. */
const UNRESERVED = /^[A-Za-z0-9_.~-]*$/;
const encodeValue = (v: string): string => (UNRESERVED.test(v) ? v : cosEncode(v));

type Pair = [name: string, value: string];

/** Keeps pairs sorted by encoded name as they are added (a PUT signs a handful: insertion sort). */
function insertSorted(pairs: Pair[], pair: Pair): void {
  let i = pairs.length;
  pairs.push(pair);
  while (i > 0 && pairs[i - 1]![0] > pair[0]) {
    pairs[i] = pairs[i - 1]!;
    i--;
  }
  pairs[i] = pair;
}

/** The canonical `list` and `k=v&...` string of signer.ts's canonicalPairs, for sorted pairs. */
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

interface Window {
  start: number;
  end: number;
  kt: string;
  /** HMAC keyed with this window's signKey, prepared once for every URL of the window. */
  hmac: HmacSha1;
  ktParams: string;
  expiresAt: string;
}

/**
 * Presigned PUT URLs, the same signature as signer.ts's `authorization()` (test/unit checks
 * them against the official SDK) computed for throughput: a big upload asks for up to 1,000 URLs
 * per call. Profiling put the time in string work, not crypto, so this derives the signKey once
 * per KeyTime window, remembers the key's encoded path across a batch (one key, many parts),
 * skips encoding values that need none, keeps pairs sorted as they are added, and writes the
 * `q-*` params directly instead of building an Authorization string to take apart again.
 */
export class Presigner {
  readonly #endpoint: Endpoint;
  readonly #secretKey: string;
  readonly #encodedAk: string;
  /** The token is not signed (COS's SDKs append it after signing) but must travel with the URL. */
  readonly #tokenParam: string;
  readonly #hostPair: Pair;
  #window: Window | null = null;
  #object: { key: string; base: string } | null = null;
  readonly #names = new Map<string, string>();
  readonly #lastParams = new Map<string, [value: string, signed: string, part: string]>();

  constructor(endpoint: Endpoint, secretId: string, secretKey: string, sessionToken?: string) {
    this.#endpoint = endpoint;
    this.#secretKey = secretKey;
    this.#encodedAk = encodeURIComponent(secretId);
    this.#hostPair = ['host', encodeValue(endpoint.host)];
    this.#tokenParam = sessionToken ? `&x-cos-security-token=${encodeURIComponent(sessionToken)}` : '';
  }

  presignPut(input: PresignInput): PresignedRequest {
    return this.#presign('PUT', input);
  }

  /** A presigned GET Object (a download URL); `query` may carry signed `response-*` overrides (436/7753). */
  presignGet(input: PresignInput): PresignedRequest {
    return this.#presign('GET', input);
  }

  /** A presigned POST: APPEND Object (`?append&position=N`, 436/7741). */
  presignPost(input: PresignInput): PresignedRequest {
    return this.#presign('POST', input);
  }

  #presign(method: 'PUT' | 'GET' | 'POST', input: PresignInput): PresignedRequest {
    const nowSeconds = Math.floor(input.now.getTime() / 1000);
    const w = this.#windowFor(nowSeconds - SKEW_SECONDS, nowSeconds + input.expiresSeconds);
    if (this.#object?.key !== input.key) {
      this.#object = { key: input.key, base: `${this.#endpoint.base}/${encodeKeyPath(input.key)}` };
    }
    const params: Pair[] = [];
    let qs = '';
    for (const k in input.query) {
      const [signed, part] = this.#encodeParam(k, String(input.query[k]));
      insertSorted(params, [this.#encodeName(k), signed]);
      qs += qs ? `&${part}` : `?${part}`;
    }
    const headers: Pair[] = [this.#hostPair];
    for (const k in input.headers) {
      if (k.toLowerCase() !== 'host' && isSignableHeader(k)) {
        insertSorted(headers, [this.#encodeName(k), encodeValue(input.headers[k]!)]);
      }
    }
    const [paramList, paramString] = canonical(params);
    const [headerList, headerString] = canonical(headers);
    const http = `${method.toLowerCase()}\n/${input.key}\n${paramString}\n${headerString}\n`;
    const sig = w.hmac.hex(`sha1\n${w.kt}\n${hash('sha1', http)}\n`);
    const url =
      `${this.#object.base}${qs}${qs ? '&' : '?'}q-sign-algorithm=sha1&q-ak=${this.#encodedAk}${w.ktParams}` +
      `&q-header-list=${encodeURIComponent(headerList)}&q-url-param-list=${encodeURIComponent(paramList)}` +
      `&q-signature=${sig}${this.#tokenParam}`;
    return { method, url, headers: { ...input.headers }, expiresAt: w.expiresAt };
  }

  /**
   * A param's signed value and its `k=v` URL form. Consecutive URLs of a batch repeat the same
   * uploadId, so the last value per name is remembered.
   */
  #encodeParam(name: string, value: string): [signed: string, part: string] {
    const last = this.#lastParams.get(name);
    if (last?.[0] === value) return [last[1], last[2]];
    // As url.ts's queryString: an empty value renders bare (`?uploads`).
    const part = value === '' ? encodeURIComponent(name) : `${encodeURIComponent(name)}=${encodeURIComponent(value)}`;
    const entry: [string, string, string] = [value, encodeValue(value), part];
    if (this.#lastParams.size < 16 || this.#lastParams.has(name)) this.#lastParams.set(name, entry);
    return [entry[1], entry[2]];
  }

  /** Header and param names repeat on every URL (content-length, partnumber, uploadid). */
  #encodeName(name: string): string {
    let e = this.#names.get(name);
    if (e === undefined) {
      e = cosEncode(name).toLowerCase();
      if (this.#names.size < 256) this.#names.set(name, e);
    }
    return e;
  }

  #windowFor(start: number, end: number): Window {
    if (this.#window?.start !== start || this.#window.end !== end) {
      const kt = keyTime(start, end);
      const encoded = encodeURIComponent(kt);
      this.#window = {
        start,
        end,
        kt,
        hmac: new HmacSha1(signKey(this.#secretKey, kt)),
        ktParams: `&q-sign-time=${encoded}&q-key-time=${encoded}`,
        expiresAt: new Date(end * 1000).toISOString(),
      };
    }
    return this.#window;
  }
}
