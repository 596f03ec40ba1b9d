import type { PresignedRequest } from '../ports.ts';
import { canonicalPairs, httpString, keyTime, signature, signKey, stringToSign } from './signer.ts';
import { type Endpoint, requestUrl, signedPath } from './url.ts';

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

/**
 * Presigned PUT URLs. The signKey depends only on the secret and the KeyTime window, so a batch
 * presigned with one `now` derives it once (the last window is remembered), leaving one HMAC
 * and one SHA-1 per URL.
 */
export class Presigner {
  readonly #endpoint: Endpoint;
  readonly #secretKey: string;
  readonly #encodedAk: string;
  /** The token is not signed (COS's SDKs append it after signing) but must travel with the URL. */
  readonly #tokenParam: string;
  #cached: { kt: string; key: string } | null = null;

  constructor(endpoint: Endpoint, secretId: string, secretKey: string, sessionToken?: string) {
    this.#endpoint = endpoint;
    this.#secretKey = secretKey;
    this.#encodedAk = encodeURIComponent(secretId);
    this.#tokenParam = sessionToken ? `&x-cos-security-token=${encodeURIComponent(sessionToken)}` : '';
  }

  presignPut(input: PresignInput): PresignedRequest {
    const nowSeconds = Math.floor(input.now.getTime() / 1000);
    const kt = keyTime(nowSeconds - SKEW_SECONDS, nowSeconds + input.expiresSeconds);
    // The signer's steps used directly (rather than authorization() and re-parsing its string):
    // this runs once per part URL, thousands per request for big files.
    const params = canonicalPairs(input.query);
    const headers = canonicalPairs({ ...input.headers, host: this.#endpoint.host });
    const http = httpString('PUT', signedPath(input.key), params, headers);
    const sig = signature(this.#signKey(kt), stringToSign(kt, http));
    const encKt = encodeURIComponent(kt);
    const auth =
      `q-sign-algorithm=sha1&q-ak=${this.#encodedAk}&q-sign-time=${encKt}&q-key-time=${encKt}` +
      `&q-header-list=${encodeURIComponent(headers.list)}&q-url-param-list=${encodeURIComponent(params.list)}` +
      `&q-signature=${sig}`;
    const base = requestUrl(this.#endpoint, input.key, input.query);
    return {
      method: 'PUT',
      url: `${base}${base.includes('?') ? '&' : '?'}${auth}${this.#tokenParam}`,
      headers: { ...input.headers },
      expiresAt: new Date((nowSeconds + input.expiresSeconds) * 1000).toISOString(),
    };
  }

  #signKey(kt: string): string {
    if (this.#cached?.kt !== kt) this.#cached = { kt, key: signKey(this.#secretKey, kt) };
    return this.#cached.key;
  }
}
