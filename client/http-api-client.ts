import type * as z from 'zod/mini';
import type {
  ApiClient,
  CompleteBatchResult,
  CreateAnswer,
  CreateOptions,
  CreateBatchResult,
  CreateUploadBody,
  PartRecordBody,
  PartUrlOptions,
  PartWithMd5,
  UploadWithParts,
} from './api-client.ts';
import { type CompleteAnswer, type CompleteOptions, parseRetryAfter, waitForCompletion } from './complete-wait.ts';
import { describe, isAbortError, UploadClientError } from './errors.ts';
import { type RetryPolicy, retryPolicy, withRetry } from './retry.ts';
import {
  appendUrlEnvelope,
  completeBatchEnvelope,
  createBatchEnvelope,
  createEnvelope,
  errorEnvelope,
  partUrlsEnvelope,
  recordedEnvelope,
  uploadEnvelope,
  uploadWithPartsEnvelope,
} from './schemas.ts';
import type { Seams } from './seams.ts';
import type { ApiClientOptions, AppendUrl, FetchLike, PartUrl, Upload } from './types.ts';
import { resolveBaseUrl, validateApiClientOptions } from './validate-options.ts';

/** What {@link HttpApiClient} runs on, resolved from the public options and the test seams. */
export interface ApiSettings {
  /** Without trailing slashes. */
  baseUrl: string;
  token?: string;
  getToken?: () => Promise<string>;
  fetch: FetchLike;
  retry: RetryPolicy;
  /** The clock for `CompleteOptions.timeoutMs` and HTTP-date Retry-After values. */
  now: () => number;
}

/** Resolves options (already validated) and seams into {@link ApiSettings}. */
export function apiSettings(
  options: Omit<ApiClientOptions, 'baseUrl'> & { baseUrl?: string; api?: string },
  seams: Seams = {},
): ApiSettings {
  return {
    baseUrl: resolveBaseUrl(options),
    token: options.token,
    getToken: options.getToken,
    // Called through a closure: a bare `fetch` stored on an object loses its `this` in browsers.
    fetch: options.fetch ?? ((url, init) => fetch(url, init)),
    retry: retryPolicy(options.retry, seams.retry),
    now: seams.now ?? Date.now,
  };
}

/** `createApiClient` with test seams: validates the options, then builds the client. */
export function buildApiClient(options: ApiClientOptions, seams: Seams = {}): ApiClient {
  validateApiClientOptions(options);
  return new HttpApiClient(apiSettings(options, seams));
}

/**
 * {@link ApiClient} over fetch. Every call retries what its error code calls retryable (network
 * errors, 503s…) with backoff and asks `getToken` again once after a 401; anything else becomes an
 * {@link UploadClientError} carrying the contract's code, message and details.
 */
export class HttpApiClient implements ApiClient {
  private readonly base: string;
  private readonly opts: ApiSettings;

  /** Trusts `settings`: validate public options first ({@link buildApiClient}). */
  constructor(settings: ApiSettings) {
    this.base = settings.baseUrl;
    this.opts = settings;
  }

  async create(body: CreateUploadBody, signal?: AbortSignal, options: CreateOptions = {}): Promise<Upload> {
    // One key for this logical create, chosen before the retries so each of them carries it.
    const key = options.idempotencyKey ?? randomKey();
    const res = await this.callWithHeaders('POST', '/v1/uploads', uploadEnvelope, body, signal, {
      'idempotency-key': key,
    });
    return res.data.upload;
  }

  async createWithUrls(
    body: CreateUploadBody,
    signal?: AbortSignal,
    options: CreateOptions = {},
  ): Promise<CreateAnswer> {
    const key = options.idempotencyKey ?? randomKey();
    const res = await this.callWithHeaders('POST', '/v1/uploads', createEnvelope, body, signal, {
      'idempotency-key': key,
    });
    return res.data;
  }

  async createBatch(
    bodies: readonly CreateUploadBody[],
    signal?: AbortSignal,
    options: CreateOptions = {},
  ): Promise<CreateBatchResult[]> {
    // As create: one key for this batch, reused by its retries (the server keys item i as `<key>#<i>`).
    const key = options.idempotencyKey ?? randomKey();
    const res = await this.callWithHeaders(
      'POST',
      '/v1/uploads/batch',
      createBatchEnvelope,
      { uploads: bodies },
      signal,
      {
        'idempotency-key': key,
      },
    );
    return res.data.results;
  }

  async completeBatch(ids: readonly string[], signal?: AbortSignal): Promise<CompleteBatchResult[]> {
    return (await this.call('POST', '/v1/uploads/batch-complete', completeBatchEnvelope, { ids }, signal)).results;
  }

  async get(id: string, signal?: AbortSignal): Promise<UploadWithParts> {
    return this.call('GET', this.path(id), uploadWithPartsEnvelope, undefined, signal);
  }

  async partUrls(
    id: string,
    parts: readonly number[] | readonly PartWithMd5[],
    signal?: AbortSignal,
    options: PartUrlOptions = {},
  ): Promise<PartUrl[]> {
    const which = parts.every((p) => typeof p === 'number') ? { partNumbers: parts } : { parts };
    const body = { ...which, ...(options.trafficLimit === undefined ? {} : { trafficLimit: options.trafficLimit }) };
    const res = await this.call('POST', this.path(id, 'part-urls'), partUrlsEnvelope, body, signal);
    return res.urls;
  }

  async recordParts(id: string, parts: readonly PartRecordBody[], signal?: AbortSignal): Promise<number> {
    return (await this.call('PUT', this.path(id, 'parts'), recordedEnvelope, { parts }, signal)).recorded;
  }

  async complete(id: string, signal?: AbortSignal, options: CompleteOptions = {}): Promise<Upload> {
    const now = this.opts.now;
    const answer = async (from: CompleteAnswer['from'], s?: AbortSignal): Promise<CompleteAnswer> => {
      const res =
        from === 'complete'
          ? await this.callWithHeaders('POST', this.path(id, 'complete'), uploadEnvelope, {}, s)
          : await this.callWithHeaders('GET', this.path(id), uploadWithPartsEnvelope, undefined, s);
      return {
        upload: res.data.upload,
        retryAfterMs: parseRetryAfter(res.headers.get('retry-after'), now()),
        from,
        status: res.status,
      };
    };
    return waitForCompletion(
      { complete: (s) => answer('complete', s), get: (s) => answer('get', s), policy: this.opts.retry, now },
      signal,
      options,
    );
  }

  async appendUrl(id: string, position: number, size: number, signal?: AbortSignal): Promise<AppendUrl> {
    return this.call('POST', this.path(id, 'append-url'), appendUrlEnvelope, { position, size }, signal);
  }

  async abort(id: string, signal?: AbortSignal): Promise<void> {
    await this.call('DELETE', this.path(id), null, undefined, signal);
  }

  /**
   * Any route, with the same retries, 401 refresh and error mapping as the typed calls; `headers`
   * are sent on every attempt (an `Idempotency-Key` must be the same across retries). For the
   * batch and stream helpers, which keep their routes' shapes next to the code that uses them.
   */
  async request<S extends z.ZodMiniType>(
    method: string,
    path: string,
    schema: S,
    body: unknown,
    signal?: AbortSignal,
    headers?: Record<string, string>,
  ): Promise<z.output<S>> {
    return (await this.callWithHeaders(method, path, schema, body, signal, headers)).data;
  }

  private path(id: string, sub?: string): string {
    return `/v1/uploads/${encodeURIComponent(id)}${sub ? `/${sub}` : ''}`;
  }

  private async call<S extends z.ZodMiniType>(
    method: string,
    path: string,
    schema: S | null,
    body: unknown,
    signal: AbortSignal | undefined,
  ): Promise<z.output<S>> {
    return (await this.callWithHeaders(method, path, schema, body, signal)).data;
  }

  /** {@link call}, also giving the final answer's status and headers (complete needs Retry-After). */
  private async callWithHeaders<S extends z.ZodMiniType>(
    method: string,
    path: string,
    schema: S | null,
    body: unknown,
    signal: AbortSignal | undefined,
    extra: Record<string, string> = {},
  ): Promise<Answer<z.output<S>>> {
    let refreshedAfter401 = false;
    return withRetry(
      async () => {
        try {
          return await this.once(method, path, schema, body, signal, extra);
        } catch (e) {
          // A token that expired mid-upload: ask for a fresh one once, then give up.
          if (e instanceof UploadClientError && e.status === 401 && this.opts.getToken && !refreshedAfter401) {
            refreshedAfter401 = true;
            return this.once(method, path, schema, body, signal, extra);
          }
          throw e;
        }
      },
      this.opts.retry,
      signal,
    );
  }

  private async once<S extends z.ZodMiniType>(
    method: string,
    path: string,
    schema: S | null,
    body: unknown,
    signal: AbortSignal | undefined,
    extra: Record<string, string> = {},
  ): Promise<Answer<z.output<S>>> {
    const token = this.opts.getToken ? await this.opts.getToken() : this.opts.token;
    const headers: Record<string, string> = { accept: 'application/json', ...extra };
    if (token) headers.authorization = `Bearer ${token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    let res: Response;
    try {
      res = await this.opts.fetch(this.base + path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal,
      });
    } catch (e) {
      if (isAbortError(e)) throw e;
      throw new UploadClientError(null, 'NETWORK_ERROR', `${method} ${path} failed: ${describe(e)}`, {}, { cause: e });
    }
    const text = await readText(res, method, path);
    if (!res.ok) throw apiError(res.status, text, method, path);
    if (schema === null) return { data: undefined as z.output<S>, status: res.status, headers: res.headers };
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw invalidResponse(res.status, `${method} ${path} answered ${res.status} with a non-JSON body`);
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      const issues = parsed.error.issues.map((i) => ({ path: i.path.map(String), message: i.message }));
      throw invalidResponse(res.status, `${method} ${path} answered an unexpected shape`, { issues });
    }
    return { data: parsed.data as z.output<S>, status: res.status, headers: res.headers };
  }
}

/**
 * 128 random bits as hex. getRandomValues, not randomUUID: browsers offer randomUUID only in secure
 * contexts, and a page served over plain http (a LAN test server) must still be able to create.
 */
function randomKey(): string {
  const bytes = globalThis.crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** A parsed answer with what its HTTP envelope said. */
interface Answer<T> {
  data: T;
  status: number;
  headers: Headers;
}

async function readText(res: Response, method: string, path: string): Promise<string> {
  try {
    return await res.text();
  } catch (e) {
    if (isAbortError(e)) throw e;
    // The connection dropped mid-body: as transient as a refused connection.
    throw new UploadClientError(
      null,
      'NETWORK_ERROR',
      `${method} ${path}: body read failed: ${describe(e)}`,
      {},
      {
        cause: e,
      },
    );
  }
}

function apiError(status: number, text: string, method: string, path: string): UploadClientError {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  const parsed = errorEnvelope.safeParse(json);
  if (parsed.success) {
    const { code, message, details } = parsed.data.error;
    return new UploadClientError(status, code, message, details ?? {});
  }
  return invalidResponse(status, `${method} ${path} failed with HTTP ${status}`);
}

/** Retryable only when `status` is a 429 or a 5xx: a gateway's page, not a wrong-shaped 2xx. */
const invalidResponse = (status: number, message: string, details: Record<string, unknown> = {}) =>
  new UploadClientError(status, 'INVALID_RESPONSE', message, details);
