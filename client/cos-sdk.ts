/**
 * The official COS SDKs with this API's temporary keys: `cos-js-sdk-v5` (browsers; the mini-program
 * SDK `cos-wx-sdk-v5` takes the same callback) and `cos-nodejs-sdk-v5`. {@link cosAuthorization}
 * builds the SDK's `getAuthorization` option from `POST /v1/uploads/{id}/credentials`; the recipe,
 * and which SDK helpers cannot work with these keys, is in `docs/official-sdk.md`.
 *
 * ```ts
 * import COS from 'cos-js-sdk-v5';
 * const auth = cosAuthorization({ baseUrl, getToken, uploadId: upload.id });
 * const cos = new COS({ getAuthorization: auth });
 * const g = await auth.grant();
 * for (let n = 1; n <= g.partCount!; n++) {
 *   const Body = file.slice((n - 1) * g.partSize, n * g.partSize);
 *   const { ETag } = await cos.multipartUpload({ Bucket: g.bucket, Region: g.region, Key: g.key, UploadId: g.uploadId, PartNumber: n, Body });
 *   parts.push({ partNumber: n, etag: ETag, size: Body.size });
 * }
 * ```
 *
 * No Node-only imports: this module runs wherever the SDKs do.
 */
import * as z from 'zod/mini';
import { describe, stoppedError, UploadClientError } from './errors.ts';
import { retryPolicy, withRetry } from './retry.ts';
import { errorEnvelope } from './schemas.ts';
import type { FetchLike, RetryOptions } from './types.ts';
import { resolveBaseUrl, validateApiClientOptions } from './validate-options.ts';

/**
 * The answer of `POST /v1/uploads/{id}/credentials` (`docs/API.md`): temporary keys that may only
 * Upload Part (at most `partSize` bytes) and List Parts on this upload's object, and where the parts go.
 */
export interface CosUploadGrant {
  /** The temporary key pair and its session token. */
  credentials: {
    /** Temporary SecretId. */
    tmpSecretId: string;
    /** Temporary SecretKey. */
    tmpSecretKey: string;
    /** Sent by the SDKs as `x-cos-security-token`. */
    sessionToken: string;
  };
  /** When the keys became valid, Unix seconds (the server's clock). */
  startTime: number;
  /** When the keys stop working, Unix seconds. */
  expiredTime: number;
  /** `expiredTime` as ISO-8601. */
  expiration: string;
  /** The COS bucket (`name-APPID`), the SDKs' `Bucket`. */
  bucket: string;
  /** The bucket's region, the SDKs' `Region`. */
  region: string;
  /** The object key, the SDKs' `Key`. */
  key: string;
  /** The COS multipart UploadId the server initiated (a `single` upload is part 1 of one): the SDKs' `UploadId`. */
  uploadId: string;
  /** Bytes per part; every part but the last must be exactly this long. */
  partSize: number;
  /** Parts in the plan; null when the upload's size is not known yet. */
  partCount: number | null;
  /** The actions the keys allow: `name/cos:UploadPart` and `name/cos:ListParts`. */
  allow: string[];
}

/** What the SDKs' `getAuthorization` callback takes when handed temporary keys (their `Credentials`). */
export interface CosSdkCredentials {
  /** The temporary SecretId. */
  TmpSecretId: string;
  /** The temporary SecretKey. */
  TmpSecretKey: string;
  /** The session token. */
  SecurityToken: string;
  /** Unix seconds; the SDKs sign with `StartTime;ExpiredTime` as the key time. */
  StartTime: number;
  /** Unix seconds; the SDKs ask again once fewer than 60 s of it remain. */
  ExpiredTime: number;
}

/** Of the options the SDKs pass to `getAuthorization`, the one this helper reads. */
export interface CosSdkAuthorizationOptions {
  /** The SDK's correction of the device clock in ms (it adjusts it after RequestTimeTooSkewed). */
  SystemClockOffset?: number;
}

/** Options of {@link cosAuthorization}. */
export interface CosAuthorizationOptions {
  /** Base URL of the API, e.g. `https://api.example.com`. */
  baseUrl: string;
  /** A bearer token. Use `getToken` when tokens expire during long uploads. */
  token?: string;
  /** Called before each `/credentials` call (and again after a 401) for a fresh bearer token. */
  getToken?: () => Promise<string>;
  /** This API's upload id (`upl_…`, from `POST /v1/uploads`), not the COS UploadId. */
  uploadId: string;
  /** Injectable fetch (default: the global one). */
  fetch?: FetchLike;
  /** Backoff for retryable failures of `/credentials` (network errors, 503s…). */
  retry?: RetryOptions;
  /**
   * Keys with less validity than this are fetched again rather than handed out (default 120 s).
   * Keep it above 60: the SDKs ask again when their keys have 60 s left, and must then get new ones.
   */
  refreshMarginSeconds?: number;
  /** Told of every failed `/credentials` call (the SDK only learns that no keys came). */
  onError?: (error: UploadClientError) => void;
}

/**
 * The SDKs' `getAuthorization(options, callback)`: pass it as `new COS({ getAuthorization })`.
 * Also gives the grant, for the part loop.
 */
export interface CosAuthorization {
  /**
   * Hands the SDK this upload's temporary keys: the ones it has while they have more than
   * `refreshMarginSeconds` left, else fresh ones from `/credentials` (concurrent calls share one
   * request). When `/credentials` fails, the SDK gets empty keys, so the request it was signing
   * fails ("getAuthorization callback params missing TmpSecretId"); the reason is in
   * {@link CosAuthorization.lastError} and `onError`.
   */
  (options: CosSdkAuthorizationOptions, callback: (credentials: CosSdkCredentials) => void): void;
  /**
   * The current grant (bucket, region, key, COS `uploadId`, `partSize`, `partCount` and the keys),
   * fetched when there is none or it is within the margin of expiry. Rejects with an
   * {@link UploadClientError} (e.g. 409 `UPLOAD_NOT_OPEN` once the upload is completed or aborted).
   */
  grant(signal?: AbortSignal): Promise<CosUploadGrant>;
  /** The last `/credentials` failure, null after a success. */
  readonly lastError: UploadClientError | null;
}

const grantSchema = z.looseObject({
  credentials: z.looseObject({ tmpSecretId: z.string(), tmpSecretKey: z.string(), sessionToken: z.string() }),
  startTime: z.number(),
  expiredTime: z.number(),
  expiration: z.string(),
  bucket: z.string(),
  region: z.string(),
  key: z.string(),
  uploadId: z.string(),
  partSize: z.number(),
  partCount: z.nullable(z.number()),
  allow: z.array(z.string()),
});

/**
 * The official SDKs' `getAuthorization` for one upload, refreshing its keys before they expire.
 * The SDKs cache the keys they are handed and call `getAuthorization` again when fewer than 60 s
 * of them remain by their clock (`getAuthorizationAsync` in cos-js-sdk-v5's `src/base.js` and
 * cos-nodejs-sdk-v5's `sdk/base.js`); this then asks `/credentials` for new ones, which the server
 * issues once the old ones are within 5 minutes of expiry. Throws `INVALID_OPTIONS` at once for a
 * missing `baseUrl`, token or `uploadId`.
 *
 * ```ts
 * const auth = cosAuthorization({ baseUrl: 'https://api.example.com', getToken, uploadId });
 * const cos = new COS({ getAuthorization: auth });
 * ```
 */
export function cosAuthorization(options: CosAuthorizationOptions): CosAuthorization {
  validateApiClientOptions(options);
  const margin = options.refreshMarginSeconds ?? 120;
  const issues: { path: string[]; message: string }[] = [];
  if (typeof options.uploadId !== 'string' || options.uploadId === '')
    issues.push({ path: ['uploadId'], message: 'must be an upload id' });
  if (typeof margin !== 'number' || !Number.isInteger(margin) || margin < 0)
    issues.push({ path: ['refreshMarginSeconds'], message: 'must be a non-negative integer' });
  if (issues.length > 0)
    throw new UploadClientError(null, 'INVALID_OPTIONS', 'invalid cosAuthorization options', { issues });

  const url = `${resolveBaseUrl(options)}/v1/uploads/${encodeURIComponent(options.uploadId)}/credentials`;
  const doFetch: FetchLike = options.fetch ?? ((u, init) => fetch(u, init));
  const policy = retryPolicy(options.retry);
  let current: CosUploadGrant | null = null;
  let pending: Promise<CosUploadGrant> | null = null;
  let lastError: UploadClientError | null = null;
  // The SDK's clock correction, as it last told us: its "now" is Date.now() plus this.
  let clockOffsetMs = 0;

  const fresh = (g: CosUploadGrant) => g.expiredTime * 1000 - (Date.now() + clockOffsetMs) > margin * 1000;

  const once = async (refreshToken: boolean): Promise<CosUploadGrant> => {
    const token = options.getToken ? await options.getToken() : options.token;
    const headers: Record<string, string> = { accept: 'application/json' };
    if (token) headers.authorization = `Bearer ${token}`;
    let res: Response;
    let text: string;
    try {
      res = await doFetch(url, { method: 'POST', headers });
      text = await res.text();
    } catch (e) {
      throw new UploadClientError(null, 'NETWORK_ERROR', `POST ${url} failed: ${describe(e)}`, {}, { cause: e });
    }
    if (res.status === 401 && refreshToken && options.getToken) return once(false);
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    if (!res.ok) {
      const err = errorEnvelope.safeParse(json);
      if (err.success) {
        const { code, message, details } = err.data.error;
        throw new UploadClientError(res.status, code, message, details ?? {});
      }
      throw new UploadClientError(res.status, 'INVALID_RESPONSE', `POST ${url} failed with HTTP ${res.status}`);
    }
    const parsed = grantSchema.safeParse(json);
    if (!parsed.success) {
      const issues = parsed.error.issues.map((i) => ({ path: i.path.map(String), message: i.message }));
      throw new UploadClientError(res.status, 'INVALID_RESPONSE', `POST ${url} answered an unexpected shape`, {
        issues,
      });
    }
    return parsed.data;
  };

  // One request at a time, shared by every caller; a caller's signal stops its own wait, not the request.
  const fetchGrant = (): Promise<CosUploadGrant> => {
    pending ??= withRetry(() => once(true), policy).then(
      (g) => {
        pending = null;
        current = g;
        lastError = null;
        return g;
      },
      (e: unknown) => {
        pending = null;
        const err =
          e instanceof UploadClientError
            ? e
            : new UploadClientError(null, 'NETWORK_ERROR', describe(e), {}, { cause: e });
        lastError = err;
        options.onError?.(err);
        throw err;
      },
    );
    return pending;
  };

  const grant = (signal?: AbortSignal): Promise<CosUploadGrant> => {
    if (signal?.aborted) return Promise.reject(stoppedError(signal.reason));
    if (current && fresh(current)) return Promise.resolve(current);
    const request = fetchGrant();
    if (!signal) return request;
    return new Promise((resolve, reject) => {
      const onAbort = () => reject(stoppedError(signal.reason));
      signal.addEventListener('abort', onAbort, { once: true });
      request.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
    });
  };

  const getAuthorization = (sdk: CosSdkAuthorizationOptions, callback: (c: CosSdkCredentials) => void): void => {
    if (typeof sdk?.SystemClockOffset === 'number' && Number.isFinite(sdk.SystemClockOffset))
      clockOffsetMs = sdk.SystemClockOffset;
    grant().then(
      (g) =>
        callback({
          TmpSecretId: g.credentials.tmpSecretId,
          TmpSecretKey: g.credentials.tmpSecretKey,
          SecurityToken: g.credentials.sessionToken,
          StartTime: g.startTime,
          ExpiredTime: g.expiredTime,
        }),
      () => callback({ TmpSecretId: '', TmpSecretKey: '', SecurityToken: '', StartTime: 0, ExpiredTime: 0 }),
    );
  };

  return Object.defineProperties(getAuthorization, {
    grant: { value: grant, enumerable: true },
    lastError: { get: () => lastError, enumerable: true },
  }) as CosAuthorization;
}
