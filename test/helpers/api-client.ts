import { expect } from 'vitest';
import type {
  GetUploadResponse,
  PartUrlsResponse,
  PublicUpload,
  RecordPartsResponse,
  UploadResponse,
} from '../../shared/api/response-schemas.ts';
import { Crc64 } from '../../shared/core/crc64.ts';
import { checkAnswer } from './check-answer.ts';

/** One answer of the API; `body` is the parsed JSON (null when empty), already checked. */
export interface Answer<T = Record<string, unknown>> {
  status: number;
  body: T;
  headers: Headers;
}

/**
 * A thin HTTP client for tests: every call goes over real HTTP to the local API, and every answer
 * is checked against the contract's schemas (check-answer.ts), so a body that does not match fails
 * the test whatever the test itself asserts. The typed methods give the success body's type; an
 * error answer's body is the contract's error body (see `expectError`).
 */
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
    const checked = checkAnswer(method, path, { status: res.status, headers: res.headers, text });
    return { status: res.status, body: checked as T, headers: res.headers };
  };
  return {
    call,
    create: (body: Record<string, unknown>) => call<UploadResponse>('POST', '/v1/uploads', body),
    get: (id: string) => call<GetUploadResponse>('GET', `/v1/uploads/${id}`),
    partUrls: (id: string, body: Record<string, unknown>) =>
      call<PartUrlsResponse>('POST', `/v1/uploads/${id}/part-urls`, body),
    record: (id: string, parts: Record<string, unknown>[]) =>
      call<RecordPartsResponse>('PUT', `/v1/uploads/${id}/parts`, { parts }),
    complete: (id: string, body?: Record<string, unknown>) =>
      call<UploadResponse>('POST', `/v1/uploads/${id}/complete`, body),
    abort: (id: string) => call('DELETE', `/v1/uploads/${id}`),
  };
}

/** The contract's types (shared/api/response-schemas.ts), under the names the tests know. */
export type UploadView = PublicUpload;
export type PartUrlView = PartUrlsResponse['urls'][number];

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

const MiB = 1024 * 1024;

/**
 * A 3-part upload (1 MiB parts, the test stacks' size) with every part in COS and in the ledger,
 * part CRCs recorded, ready to complete. `declare` also states the whole file's CRC64 at create.
 */
export async function readyMultipart(
  api: ReturnType<typeof apiClient>,
  seed: number,
  opts: { declare?: boolean; extra?: number } = {},
) {
  const file = bytesOf(2 * MiB + (opts.extra ?? 17), seed);
  const created = await api.create({
    fileName: `f${seed}.bin`,
    size: file.length,
    ...(opts.declare === false ? {} : { crc64: crcOf(file) }),
  });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  const up = created.body.upload;
  const urls = (await api.partUrls(up.id, { partNumbers: [1, 2, 3] })).body.urls;
  const parts = [];
  for (const u of urls) {
    const put = await putPart(u, file.subarray((u.partNumber - 1) * MiB, u.partNumber * MiB));
    expect(put.status, put.text).toBe(200);
    parts.push({ partNumber: u.partNumber, etag: put.etag!, crc64: put.crc64! });
  }
  expect((await api.record(up.id, parts)).status).toBe(200);
  return { up, file };
}

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
