import type * as z from 'zod/mini';
import type { createUploadBody } from '../shared/api/schemas.ts';
import { type CompleteAnswer, type CompleteOptions, parseRetryAfter, waitForCompletion } from './complete-wait.ts';
import { isAbortError, UploadClientError } from './errors.ts';
import { type RetryPolicy, withRetry } from './retry.ts';
import {
  errorEnvelope,
  partUrlsEnvelope,
  recordedEnvelope,
  uploadEnvelope,
  uploadWithPartsEnvelope,
} from './schemas.ts';
import type { FetchLike, PartUrl, RecordedPart, Upload } from './types.ts';

/** Body of `POST /v1/uploads`: what the server's own schema accepts (a type only; nothing is bundled). */
export type CreateUploadBody = z.input<typeof createUploadBody>;

/** A part as sent to `PUT /v1/uploads/{id}/parts`. */
export interface PartRecordBody {
  partNumber: number;
  etag: string;
  size?: number;
  crc64?: string;
}

/** How {@link ApiClient} reaches the API: base URL, credentials, transport and backoff. */
export interface ApiClientOptions {
  api: string;
  token?: string;
  getToken?: () => Promise<string>;
  fetch: FetchLike;
  retry: RetryPolicy;
  /** The clock for `CompleteOptions.timeoutMs` and HTTP-date Retry-After values (default Date.now). */
  now?: () => number;
}

/**
 * Typed calls to the upload API. Every call retries network errors and 5xx with backoff; any other
 * 4xx becomes an {@link UploadClientError} carrying the contract's code, message and details.
 */
export class ApiClient {
  private readonly base: string;
  private readonly opts: ApiClientOptions;

  constructor(opts: ApiClientOptions) {
    if (!opts.api) throw new UploadClientError(null, 'INVALID_OPTIONS', 'options.api (the API base URL) is required');
    this.base = opts.api.replace(/\/+$/, '');
    this.opts = opts;
  }

  /** `POST /v1/uploads` */
  async create(body: CreateUploadBody, signal?: AbortSignal): Promise<Upload> {
    return (await this.call('POST', '/v1/uploads', uploadEnvelope, body, signal)).upload;
  }

  /** `GET /v1/uploads/{id}`: the session and its recorded parts, ascending. */
  async get(id: string, signal?: AbortSignal): Promise<{ upload: Upload; parts: RecordedPart[] }> {
    return this.call('GET', this.path(id), uploadWithPartsEnvelope, undefined, signal);
  }

  /** `POST /v1/uploads/{id}/part-urls` for 1–1,000 part numbers. */
  async partUrls(id: string, partNumbers: readonly number[], signal?: AbortSignal): Promise<PartUrl[]> {
    const res = await this.call('POST', this.path(id, 'part-urls'), partUrlsEnvelope, { partNumbers }, signal);
    return res.urls;
  }

  /** `PUT /v1/uploads/{id}/parts` for 1–1,000 parts; idempotent. */
  async recordParts(id: string, parts: readonly PartRecordBody[], signal?: AbortSignal): Promise<number> {
    return (await this.call('PUT', this.path(id, 'parts'), recordedEnvelope, { parts }, signal)).recorded;
  }

  /**
   * `POST /v1/uploads/{id}/complete`, resolving with the completed upload; idempotent. When the API
   * answers 202 (COS is still assembling the object, which can take minutes) it polls
   * `GET /v1/uploads/{id}` — first after the `Retry-After`, else 1 s, then ×1.5 with jitter up to
   * 15 s — until the upload is `completed`, honouring `signal`. An assembly that fails in the
   * background rejects like the synchronous refusal would (e.g. 409 `PARTS_INVALID` with its
   * details, `error.upload` set); see {@link waitForCompletion} for every outcome.
   */
  async complete(id: string, signal?: AbortSignal, options: CompleteOptions = {}): Promise<Upload> {
    const now = this.opts.now ?? Date.now;
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

  /** `DELETE /v1/uploads/{id}`; idempotent. */
  async abort(id: string, signal?: AbortSignal): Promise<void> {
    await this.call('DELETE', this.path(id), null, undefined, signal);
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
  ): Promise<Answer<z.output<S>>> {
    let refreshedAfter401 = false;
    return withRetry(
      async () => {
        try {
          return await this.once(method, path, schema, body, signal);
        } catch (e) {
          // A token that expired mid-upload: ask for a fresh one once, then give up.
          if (e instanceof UploadClientError && e.status === 401 && this.opts.getToken && !refreshedAfter401) {
            refreshedAfter401 = true;
            return this.once(method, path, schema, body, signal);
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
  ): Promise<Answer<z.output<S>>> {
    const token = this.opts.getToken ? await this.opts.getToken() : this.opts.token;
    const headers: Record<string, string> = { accept: 'application/json' };
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

const invalidResponse = (status: number, message: string, details: Record<string, unknown> = {}) =>
  new UploadClientError(status, 'INVALID_RESPONSE', message, details, { retryable: status >= 500 });

/** A short cause for messages; undici hides the useful part in `cause`. */
export function describe(e: unknown): string {
  if (e instanceof Error) {
    const cause = e.cause instanceof Error ? `: ${e.cause.message}` : '';
    return `${e.message}${cause}`;
  }
  return String(e);
}
