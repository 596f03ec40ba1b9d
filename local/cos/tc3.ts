import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

/**
 * Verification of Tencent Cloud API 3.0 signatures (TC3-HMAC-SHA256), as the tencentcloud-sdk-nodejs
 * clients compute them. The credential scope's service is taken from the Authorization itself:
 * the SDK derives it from the endpoint's first label, which is `127` when pointed at 127.0.0.1.
 */

export class StsError extends Error {
  override readonly name = 'StsError';
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
  }
}

export interface Tc3Input {
  method: string;
  /** Raw request target: path and query. */
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
  nowMs: number;
  secretId: string;
  secretKey: string;
}

const AUTH_RE =
  /^TC3-HMAC-SHA256 Credential=([^/]+)\/(\d{4}-\d{2}-\d{2})\/([^/]+)\/tc3_request, SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})$/;
/** Tencent Cloud refuses signatures whose X-TC-Timestamp is more than 5 minutes off. */
const MAX_SKEW_SECONDS = 300;

const sha256 = (data: string | Buffer): string => createHash('sha256').update(data).digest('hex');
const hmac = (key: string | Buffer, msg: string): Buffer => createHmac('sha256', key).update(msg).digest();
const one = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v.join(',') : v);

export function verifyTc3(input: Tc3Input): void {
  const m = AUTH_RE.exec(one(input.headers.authorization) ?? '');
  if (!m)
    throw new StsError(
      'AuthFailure.InvalidAuthorization',
      'The Authorization header is not a TC3-HMAC-SHA256 signature.',
    );
  const [, secretId, date, service, signedHeaders, sig] = m as unknown as [
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  if (secretId !== input.secretId) throw new StsError('AuthFailure.SecretIdNotFound', 'The SecretId is not found.');
  const ts = Number(one(input.headers['x-tc-timestamp']));
  if (!Number.isInteger(ts))
    throw new StsError('MissingParameter', 'The X-TC-Timestamp header is missing or not an integer.');
  if (Math.abs(Math.floor(input.nowMs / 1000) - ts) > MAX_SKEW_SECONDS) {
    throw new StsError(
      'AuthFailure.SignatureExpire',
      'The signature has expired: X-TC-Timestamp is more than 5 minutes from server time.',
    );
  }
  if (new Date(ts * 1000).toISOString().slice(0, 10) !== date) {
    throw new StsError('AuthFailure.SignatureFailure', 'The credential date does not match X-TC-Timestamp.');
  }
  const q = input.url.indexOf('?');
  const path = q < 0 ? input.url : input.url.slice(0, q);
  const query = q < 0 ? '' : input.url.slice(q + 1);
  const names = signedHeaders.split(';');
  const payloadHash = sha256(input.body);
  const kSigning = hmac(hmac(hmac(`TC3${input.secretKey}`, date), service), 'tc3_request');
  // The SDK signs the URL's hostname (no port); a client that signs the Host header verbatim is right too.
  for (const stripPort of [true, false]) {
    const canonicalHeaders = names
      .map((n) => {
        const v = (one(input.headers[n]) ?? '').trim();
        return `${n}:${n === 'host' ? (stripPort ? v.replace(/:\d+$/, '') : v).toLowerCase() : v}\n`;
      })
      .join('');
    const canonical = `${input.method}\n${path}\n${query}\n${canonicalHeaders}\n${signedHeaders}\n${payloadHash}`;
    const toSign = `TC3-HMAC-SHA256\n${ts}\n${date}/${service}/tc3_request\n${sha256(canonical)}`;
    const expected = Buffer.from(hmac(kSigning, toSign).toString('hex'));
    if (expected.length === sig.length && timingSafeEqual(expected, Buffer.from(sig))) return;
  }
  throw new StsError(
    'AuthFailure.SignatureFailure',
    'The provided credentials could not be validated. Please check your signature is correct.',
  );
}
