/**
 * The two routes for many files at once (`docs/API.md`, "Many files at once"): `POST
 * /v1/uploads/batch` and `POST /v1/uploads/batch-complete`. Items succeed or fail independently, so
 * each answer is a list of per-item results in request order.
 */
import * as z from 'zod/mini';
import type { CreateUploadBody } from './api-client.ts';
import { UploadClientError } from './errors.ts';
import type { HttpApiClient } from './http-api-client.ts';
import { partUrlsEnvelope, uploadSchema } from './schemas.ts';
import type { PartUrl, Upload } from './types.ts';

/** Most items either route takes in one call. */
export const BATCH_MAX = 100;

/** A create body with the batch-friendly fields: URLs for parts 1..presign, and dedupe. */
export type BatchCreateBody = CreateUploadBody & { presign?: number; dedupe?: boolean };

const itemError = z.looseObject({
  error: z.looseObject({
    code: z.string(),
    message: z.string(),
    details: z.optional(z.record(z.string(), z.unknown())),
  }),
});

const createItem = z.union([
  z.looseObject({
    upload: uploadSchema,
    urls: z.optional(partUrlsEnvelope.shape.urls),
    deduplicated: z.optional(z.boolean()),
  }),
  itemError,
]);

const batchCreateEnvelope = z.looseObject({ results: z.array(createItem) });
const batchCompleteEnvelope = z.looseObject({
  results: z.array(z.union([z.looseObject({ upload: uploadSchema }), itemError])),
});

/** One item of a batch create: the session (with its presigned URLs), a dedupe hit, or its error. */
export type BatchCreateResult =
  | { ok: true; upload: Upload; urls: PartUrl[]; deduplicated: boolean }
  | { ok: false; error: UploadClientError };

/** One item of a batch complete: the upload (`completed`, or `completing` while COS merges) or its error. */
export type BatchCompleteResult = { ok: true; upload: Upload } | { ok: false; error: UploadClientError };

/** An item's error as the single-item route would have thrown it (status unknown: 0 → null). */
function toError(e: z.infer<typeof itemError>['error']): UploadClientError {
  return new UploadClientError(null, e.code, e.message, e.details ?? {});
}

/** Loose objects leave `'error' in r` unnarrowed; an item is an error exactly when it has no upload. */
const isError = (r: object): r is z.infer<typeof itemError> => !('upload' in r) || r.upload === undefined;

function sameLength(results: readonly unknown[], sent: number, route: string): void {
  if (results.length !== sent) {
    throw new UploadClientError(200, 'INVALID_RESPONSE', `${route} answered ${results.length} results for ${sent} items`);
  }
}

/**
 * `POST /v1/uploads/batch` for 1–100 bodies. `idempotencyKey` goes on every attempt of this call,
 * so a retry after a lost answer replays the first one instead of opening the sessions twice.
 */
export async function batchCreate(
  api: HttpApiClient,
  uploads: readonly BatchCreateBody[],
  idempotencyKey: string,
  signal?: AbortSignal,
): Promise<BatchCreateResult[]> {
  const res = await api.request('POST', '/v1/uploads/batch', batchCreateEnvelope, { uploads }, signal, {
    'idempotency-key': idempotencyKey,
  });
  sameLength(res.results, uploads.length, 'POST /v1/uploads/batch');
  return res.results.map((r): BatchCreateResult => {
    if (isError(r)) return { ok: false, error: toError(r.error) };
    return { ok: true, upload: r.upload as Upload, urls: (r.urls ?? []) as PartUrl[], deduplicated: !!r.deduplicated };
  });
}

/** `POST /v1/uploads/batch-complete` for 1–100 ids: each item as `complete` would answer it. */
export async function batchComplete(
  api: HttpApiClient,
  ids: readonly string[],
  signal?: AbortSignal,
): Promise<BatchCompleteResult[]> {
  const res = await api.request('POST', '/v1/uploads/batch-complete', batchCompleteEnvelope, { ids }, signal);
  sameLength(res.results, ids.length, 'POST /v1/uploads/batch-complete');
  return res.results.map((r): BatchCompleteResult =>
    isError(r) ? { ok: false, error: toError(r.error) } : { ok: true, upload: r.upload as Upload },
  );
}

/**
 * A key for one logical batch: random, so two devices never share one; kept across that batch's
 * retries. `crypto.randomUUID` is missing outside secure contexts and in React Native.
 */
export function idempotencyKey(): string {
  const c = (globalThis as { crypto?: { randomUUID?: () => string } }).crypto;
  if (c?.randomUUID) return `batch-${c.randomUUID()}`;
  let s = '';
  for (let i = 0; i < 32; i++) s += Math.floor(Math.random() * 16).toString(16);
  return `batch-${s}`;
}
