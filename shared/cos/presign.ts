import type { PresignedRequest } from '../ports.ts';
import { authorization, authorizationFields, keyTime, signKey } from './signer.ts';
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
  readonly #secretId: string;
  readonly #secretKey: string;
  readonly #sessionToken: string | undefined;
  #cached: { kt: string; key: string } | null = null;

  constructor(endpoint: Endpoint, secretId: string, secretKey: string, sessionToken?: string) {
    this.#endpoint = endpoint;
    this.#secretId = secretId;
    this.#secretKey = secretKey;
    this.#sessionToken = sessionToken;
  }

  presignPut(input: PresignInput): PresignedRequest {
    const start = Math.floor(input.now.getTime() / 1000) - SKEW_SECONDS;
    const end = Math.floor(input.now.getTime() / 1000) + input.expiresSeconds;
    const auth = authorization({
      secretId: this.#secretId,
      secretKey: this.#secretKey,
      method: 'PUT',
      path: signedPath(input.key),
      query: input.query,
      headers: { ...input.headers, host: this.#endpoint.host },
      startSeconds: start,
      endSeconds: end,
      signKey: this.#signKey(keyTime(start, end)),
    });
    const authQuery = Object.entries(authorizationFields(auth))
      .map(([k, v]) => `${k}=${encodeURIComponent(v)}`)
      .join('&');
    // The token is not signed (COS's SDKs append it after signing) but must travel with the URL.
    const token = this.#sessionToken ? `&x-cos-security-token=${encodeURIComponent(this.#sessionToken)}` : '';
    const base = requestUrl(this.#endpoint, input.key, input.query);
    const sep = base.includes('?') ? '&' : '?';
    return {
      method: 'PUT',
      url: `${base}${sep}${authQuery}${token}`,
      headers: { ...input.headers },
      expiresAt: new Date(end * 1000).toISOString(),
    };
  }

  #signKey(kt: string): string {
    if (this.#cached?.kt !== kt) this.#cached = { kt, key: signKey(this.#secretKey, kt) };
    return this.#cached.key;
  }
}
