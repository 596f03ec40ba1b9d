import { storageUnavailable, type UploadError } from '../errors.ts';

/**
 * What tencentcloud-sdk-nodejs throws (TencentCloudSDKHttpException): `code` for an API error
 * (`Response.Error.Code`, HTTP 200), `httpCode` for a non-200 answer, neither for a network failure
 * or timeout. It always carries a `requestId` string, which is how it is told apart from a bug.
 */
interface SdkError extends Error {
  requestId: string;
  code?: string;
  httpCode?: number;
}

const isSdkError = (e: unknown): e is SdkError =>
  e instanceof Error && typeof (e as Partial<SdkError>).requestId === 'string';

/** Codes worth another attempt: throttling and Tencent's own failures. Auth and parameter errors never are. */
const TRANSIENT = /^(RequestLimitExceeded|InternalError|ServiceUnavailable|ResourceUnavailable|LimitExceeded)(\.|$)/;

export function isRetriableStsError(e: unknown): boolean {
  if (!isSdkError(e)) return false;
  if (e.code) return TRANSIENT.test(e.code);
  if (e.httpCode !== undefined) return e.httpCode >= 500 || e.httpCode === 429;
  return true;
}

/** Fields safe to log about a failure: code, status and request id — never the message, which may echo input. */
export function describeStsError(e: unknown): Record<string, unknown> {
  if (!isSdkError(e)) return { code: e instanceof Error ? e.name : 'Unknown' };
  return {
    code: e.code ?? (e.httpCode !== undefined ? `Http${e.httpCode}` : 'NetworkError'),
    requestId: e.requestId || undefined,
  };
}

/**
 * Every STS failure leaves as STORAGE_UNAVAILABLE: 503 when it was transient (try again later),
 * 502 when STS refused (our configuration is wrong: auth, role, policy). The cause stays for logs.
 */
export function toStsUploadError(e: unknown): UploadError {
  if (isRetriableStsError(e)) return storageUnavailable('temporary credentials are unavailable, try again', e, 503);
  return storageUnavailable('temporary credentials could not be issued', e, 502);
}
