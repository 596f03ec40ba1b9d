import { expect } from 'vitest';
import { Crc64 } from '../../shared/core/crc64.ts';

/** A thin HTTP client for tests: every call goes over real HTTP to the local API. */
export interface Answer<T = Record<string, unknown>> {
  status: number;
  body: T;
  headers: Headers;
}

export function apiClient(apiUrl: string, token: string) {
  const call = async <T = Record<string, unknown>>(
    method: string,
    path: string,
    body?: unknown,
    rawBody?: string,
  ): Promise<Answer<T>> => {
    const res = await fetch(`${apiUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body !== undefined || rawBody !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      body: rawBody ?? (body === undefined ? undefined : JSON.stringify(body)),
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : null) as T, headers: res.headers };
  };
  return {
    call,
    create: (body: Record<string, unknown>) => call<{ upload: UploadView }>('POST', '/v1/uploads', body),
    get: (id: string) =>
      call<{ upload: UploadView; parts: { partNumber: number; etag: string; size: number | null; crc64?: string }[] }>(
        'GET',
        `/v1/uploads/${id}`,
      ),
    partUrls: (id: string, body: Record<string, unknown>) =>
      call<{ urls: PartUrlView[] }>('POST', `/v1/uploads/${id}/part-urls`, body),
    record: (id: string, parts: Record<string, unknown>[]) =>
      call<{ recorded: number }>('PUT', `/v1/uploads/${id}/parts`, { parts }),
    complete: (id: string, body?: Record<string, unknown>) =>
      call<{ upload: UploadView }>('POST', `/v1/uploads/${id}/complete`, body),
    abort: (id: string) => call('DELETE', `/v1/uploads/${id}`),
  };
}

export interface UploadView {
  id: string;
  state: string;
  strategy: string;
  key: string;
  cosUploadId: string | null;
  size: number | null;
  partSize: number;
  partCount: number | null;
  etag: string | null;
  crc64: string | null;
  [k: string]: unknown;
}

export interface PartUrlView {
  partNumber: number;
  method: 'PUT';
  url: string;
  headers: Record<string, string>;
  expiresAt: string;
}

/** Asserts a contract error answer: its status and `error.code` (the body is the failure message). */
export function expectError(r: Answer<unknown>, status: number, code: string): void {
  expect(r.status, JSON.stringify(r.body)).toBe(status);
  expect((r.body as { error: { code: string } }).error.code).toBe(code);
}

/** PUTs bytes to a presigned URL exactly as a browser would, sending the listed headers. */
export async function putPart(
  u: PartUrlView,
  bytes: Uint8Array<ArrayBuffer>,
  extraHeaders: Record<string, string> = {},
) {
  const res = await fetch(u.url, { method: 'PUT', headers: { ...u.headers, ...extraHeaders }, body: bytes });
  const text = await res.text();
  return { status: res.status, etag: res.headers.get('etag'), crc64: res.headers.get('x-cos-hash-crc64ecma'), text };
}

/** Deterministic pseudo-random bytes, so failures reproduce. */
export function bytesOf(length: number, seed = 1): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

export const crcOf = (b: Uint8Array): string => new Crc64().update(b).toString();

/**
 * Polls GET until the upload leaves `completing` (or `timeoutMs` passes) and returns every state
 * seen on the way, so a test can assert the upload never showed `open` or `aborted` meanwhile.
 */
export async function settled(
  api: ReturnType<typeof apiClient>,
  id: string,
  timeoutMs = 30_000,
): Promise<{ upload: UploadView; seen: string[] }> {
  const seen: string[] = [];
  const until = Date.now() + timeoutMs;
  for (;;) {
    const r = await api.get(id);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    const state = r.body.upload.state;
    if (seen.at(-1) !== state) seen.push(state);
    if (state !== 'completing' || Date.now() > until) return { upload: r.body.upload, seen };
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
