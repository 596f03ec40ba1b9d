import type * as z from 'zod/mini';
import type { createUploadBody } from '../shared/api/schemas.ts';
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

  /** `POST /v1/uploads/{id}/complete`; idempotent on a completed upload. */
  async complete(id: string, signal?: AbortSignal): Promise<Upload> {
    return (await this.call('POST', this.path(id, 'complete'), uploadEnvelope, {}, signal)).upload;
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
  ): Promise<z.output<S>> {
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
    if (schema === null) return undefined as z.output<S>;
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
    return parsed.data as z.output<S>;
  }
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
