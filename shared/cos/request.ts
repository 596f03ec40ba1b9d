import { CosError, CosNetworkError, isClockError, isRetriable, toUploadError } from './cos-error.ts';
import { errorSchema } from './schemas.ts';
import { authorization } from './signer.ts';
import { type Endpoint, requestUrl, signedPath } from './url.ts';
import { isCosXmlError, parseXml } from './xml.ts';
import * as z from '../zod.ts';

export interface RetryOptions {
  /** Attempts in all, the first included. */
  maxAttempts: number;
  /** Window of the first retry's sleep; it doubles per retry up to maxDelayMs. Sleeps are uniform in it (full jitter). */
  baseDelayMs: number;
  maxDelayMs: number;
  /** Per attempt, covering the answer's body too. */
  attemptTimeoutMs: number;
  /** All attempts and sleeps together; the last attempt is cut to what is left. */
  budgetMs: number;
}

/** budgetMs stays under API Gateway's 29 s integration timeout. */
export const DEFAULT_RETRY: RetryOptions = {
  maxAttempts: 4,
  baseDelayMs: 100,
  maxDelayMs: 2000,
  attemptTimeoutMs: 15_000,
  budgetMs: 25_000,
};

const retrySchema = z.object({
  maxAttempts: z.number().check(z.int(), z.gte(1), z.lte(20)),
  baseDelayMs: z.number().check(z.gte(0)),
  maxDelayMs: z.number().check(z.gte(0)),
  attemptTimeoutMs: z.number().check(z.int(), z.gte(1)),
  budgetMs: z.number().check(z.int(), z.gte(1)),
});

/** Defaults overlaid with `over`, checked once at construction so a typo fails at start-up. */
export function retryOptions(over: Partial<RetryOptions> = {}): RetryOptions {
  const r = retrySchema.safeParse({ ...DEFAULT_RETRY, ...over });
  if (!r.success)
    throw new TypeError(
      `invalid COS retry options: ${r.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; ')}`,
    );
  return r.data;
}

/**
 * Complete answers at once but streams whitespace while COS assembles, which for a big object takes
 * minutes (436/7742; cos-python-sdk-v5 gives it a 20-minute timeout): one attempt may use the
 * whole budget, which is the completion worker's (`timeoutMs`), not an API request's. A merge that
 * outlives it is finished by the next worker, which finds NoSuchUpload and confirms with HEAD.
 */
export const completeTimeouts = (retry: RetryOptions, timeoutMs?: number) => ({
  attemptTimeoutMs: timeoutMs ?? retry.budgetMs,
  budgetMs: timeoutMs ?? retry.budgetMs,
});

export interface CosClientContext {
  endpoint: Endpoint;
  secretId: string;
  secretKey: string;
  sessionToken?: string;
  fetch: typeof fetch;
  /** Signing clock (the KeyTime window). Budgets use the monotonic clock, not this. */
  now: () => Date;
  /**
   * COS's clock minus ours, learned from a clock-skew refusal and applied to every signature after
   * it (requests and presigned URLs), as the official SDK's SystemClockOffset is.
   */
  skew: { offsetMs: number };
  retry: RetryOptions;
  /** Full jitter source, injectable so tests can pin delays. */
  random: () => number;
  /** Retry notices; carries op, attempt, status, code, request id and delay — nothing secret. */
  log?: (line: Record<string, unknown>) => void;
}

export type CosMethod = 'GET' | 'HEAD' | 'PUT' | 'POST' | 'DELETE';

export interface CosRequest {
  /** COS operation name, for logs. */
  op: string;
  method: CosMethod;
  /** Object key, or '' for the bucket root. */
  key: string;
  /** Every param is signed (q-url-param-list). '' renders bare, as `?uploads`. */
  query?: Record<string, string | number>;
  /** Signed too; only content-type and x-cos-* are expected here. */
  headers?: Record<string, string>;
  body?: string | Uint8Array<ArrayBuffer>;
  /** A 2xx body is read as bytes (`CosAnswer.bytes`, GET Object), not text. */
  binary?: boolean;
  /** Statuses handed to `read` instead of being errors, e.g. 404 for HEAD. */
  passStatuses?: readonly number[];
  /**
   * A binary answer (GET Object): a 2xx body arrives as `bytes`, at most this many — the rest is
   * never read, so a COS that ignored a Range cannot make us download a whole object.
   */
  maxBodyBytes?: number;
  timeouts?: Partial<Pick<RetryOptions, 'attemptTimeoutMs' | 'budgetMs'>>;
}

export interface CosAnswer {
  status: number;
  headers: Headers;
  body: string;
  /** The 2xx body of a request with `maxBodyBytes` or `binary`. */
  bytes?: Uint8Array;
}

/** The signature window; a minute back tolerates clock skew between us and COS. */
const SKEW_SECONDS = 60;
const SIGN_SECONDS = 900;
/** The official SDK corrects its clock only when COS's differs by 30 s or more (sdk/base.js). */
const MIN_SKEW_CORRECTION_MS = 30_000;

/** The time to sign with: our clock corrected by what COS told us of its own. */
export const signingNow = (ctx: Pick<CosClientContext, 'now' | 'skew'>): Date =>
  new Date(ctx.now().getTime() + ctx.skew.offsetMs);

/**
 * On RequestTimeTooSkewed (or "Request has expired"), take COS's clock from the answer's `Date`
 * and report whether the offset moved — then the request is worth one immediate retry, as the
 * official SDK does (cos-nodejs-sdk-v5 sdk/base.js getRetryInfo, CorrectClockSkew).
 */
function correctSkew(ctx: CosClientContext, e: unknown): boolean {
  if (!(e instanceof CosError) || !isClockError(e) || !e.serverDate) return false;
  const serverMs = Date.parse(e.serverDate);
  if (!Number.isFinite(serverMs)) return false;
  const offsetMs = serverMs - ctx.now().getTime();
  if (Math.abs(offsetMs - ctx.skew.offsetMs) < MIN_SKEW_CORRECTION_MS) return false;
  ctx.skew.offsetMs = offsetMs;
  ctx.log?.({ msg: 'cos clock skew corrected', offsetMs });
  return true;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Signs and sends one COS request, retrying transient failures with exponential backoff and full
 * jitter inside a time budget. `read` runs inside the attempt, so an error it throws (Complete's
 * `<Error>` in a 200) is retried by the same policy. Failures leave as UploadErrors
 * (see toUploadError); bugs are rethrown as they are.
 */
export async function sendCos<T>(ctx: CosClientContext, req: CosRequest, read: (a: CosAnswer) => T): Promise<T> {
  const attemptTimeoutMs = req.timeouts?.attemptTimeoutMs ?? ctx.retry.attemptTimeoutMs;
  const budgetMs = req.timeouts?.budgetMs ?? ctx.retry.budgetMs;
  const started = performance.now();
  let last: unknown;
  let skewRetried = false;
  for (let attempt = 1; attempt <= ctx.retry.maxAttempts; attempt++) {
    // Timers fire late, so a sleep may end with the budget spent; the first attempt always runs.
    const remaining = Math.floor(budgetMs - (performance.now() - started));
    if (attempt > 1 && remaining < 1) break;
    try {
      return read(await attemptOnce(ctx, req, Math.max(1, Math.min(attemptTimeoutMs, remaining))));
    } catch (e) {
      // One free retry, at once, with the corrected clock.
      if (!skewRetried && correctSkew(ctx, e)) {
        skewRetried = true;
        attempt--;
        continue;
      }
      if (!isRetriable(e)) throw toUploadError(e);
      last = e;
      if (attempt === ctx.retry.maxAttempts) break;
      const cap = Math.min(ctx.retry.maxDelayMs, ctx.retry.baseDelayMs * 2 ** (attempt - 1));
      const delayMs = Math.floor(ctx.random() * cap);
      // Not worth another attempt if the sleep alone would use up the budget.
      if (performance.now() - started + delayMs >= budgetMs) break;
      ctx.log?.({ msg: 'cos retry', op: req.op, attempt, delayMs, ...describe(e) });
      await sleep(delayMs);
    }
  }
  throw toUploadError(last);
}

async function attemptOnce(ctx: CosClientContext, req: CosRequest, timeoutMs: number): Promise<CosAnswer> {
  const query = req.query ?? {};
  const headers = req.headers ?? {};
  const nowSeconds = Math.floor(signingNow(ctx).getTime() / 1000);
  const auth = authorization({
    secretId: ctx.secretId,
    secretKey: ctx.secretKey,
    method: req.method,
    path: signedPath(req.key),
    query,
    headers: { ...headers, host: ctx.endpoint.host },
    startSeconds: nowSeconds - SKEW_SECONDS,
    endSeconds: nowSeconds + SIGN_SECONDS,
  });
  const sent: Record<string, string> = { ...headers, authorization: auth };
  // Added after signing and left out of q-header-list, as COS's SDKs do.
  if (ctx.sessionToken) sent['x-cos-security-token'] = ctx.sessionToken;
  const url = requestUrl(ctx.endpoint, req.key, query);
  const signal = AbortSignal.timeout(timeoutMs);

  let res: Response;
  let body = '';
  let bytes: Uint8Array | undefined;
  try {
    res = await ctx.fetch(url, { method: req.method, headers: sent, body: req.body, signal, redirect: 'manual' });
    const ok = res.status >= 200 && res.status < 300;
    if (ok && req.maxBodyBytes !== undefined) bytes = await readCapped(res, req.maxBodyBytes);
    else if (ok && req.binary) bytes = new Uint8Array(await res.arrayBuffer());
    else body = await res.text();
  } catch (e) {
    throw new CosNetworkError(signal.aborted, e);
  }
  if ((res.status >= 200 && res.status < 300) || req.passStatuses?.includes(res.status)) {
    return { status: res.status, headers: res.headers, body, ...(bytes ? { bytes } : {}) };
  }
  throw errorFromAnswer(res.status, res.headers, body);
}

/** The first `max` bytes of a body; the rest of the stream is cancelled unread. */
async function readCapped(res: Response, max: number): Promise<Uint8Array> {
  const out = new Uint8Array(max);
  let length = 0;
  const reader = res.body?.getReader();
  if (!reader) return out.subarray(0, 0);
  try {
    while (length < max) {
      const { done, value } = await reader.read();
      if (done) break;
      const take = Math.min(value.length, max - length);
      out.set(value.subarray(0, take), length);
      length += take;
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  return out.subarray(0, length);
}

/** A COS error answer; a body that is not COS error XML (HEAD, a proxy's page) still gives a CosError. */
export function errorFromAnswer(status: number, headers: Headers, body: string): CosError {
  const headerRequestId = headers.get('x-cos-request-id');
  if (body.trim() !== '') {
    try {
      const e = parseXml(body, errorSchema);
      return new CosError({
        status,
        code: e.code,
        requestId: headerRequestId ?? e.requestId,
        cosMessage: e.message,
        serverDate: headers.get('date'),
      });
    } catch (err) {
      if (!isCosXmlError(err)) throw err;
    }
  }
  return new CosError({ status, code: `Http${status}`, requestId: headerRequestId, serverDate: headers.get('date') });
}

function describe(e: unknown): Record<string, unknown> {
  // COS's own request id, named apart from ours (the request being served, see log-context.ts).
  if (e instanceof CosError) return { status: e.status, code: e.code, cosRequestId: e.requestId };
  if (e instanceof CosNetworkError) return { code: e.timeout ? 'Timeout' : 'NetworkError' };
  return {};
}
