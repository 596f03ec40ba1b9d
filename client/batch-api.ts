/**
 * The two routes for many files at once (`docs/API.md`, "Many files at once"): `POST
 * /v1/uploads/batch` and `POST /v1/uploads/batch-complete`. Items succeed or fail independently, so
 * each answer is a list of per-item results in request order.
 */
import { ERROR_STATUSES } from '../shared/api/error-statuses.ts';
import type { ErrorCode } from '../shared/errors.ts';
import type { CreateUploadBody } from './api-client.ts';
import { UploadClientError } from './errors.ts';
import type { HttpApiClient } from './http-api-client.ts';
import { completeBatchEnvelope, createBatchEnvelope } from './schemas.ts';
import type { PartUrl, Upload } from './types.ts';

/** Most items either route takes in one call. */
export const BATCH_MAX = 100;

/** A create body (with `presign` and `dedupe`, the fields that make batches worthwhile). */
export type BatchCreateBody = CreateUploadBody;

type ItemError = { error: { code: string; message: string; details?: Record<string, unknown> } };

/** One item of a batch create: the session (with its presigned URLs), a dedupe hit, or its error. */
export type BatchCreateResult =
  { ok: true; upload: Upload; urls: PartUrl[]; deduplicated: boolean } | { ok: false; error: UploadClientError };

/** One item of a batch complete: the upload (`completed`, or `completing` while COS merges) or its error. */
export type BatchCompleteResult = { ok: true; upload: Upload } | { ok: false; error: UploadClientError };

/**
 * An item's error as the single-item route would have thrown it: with the status that route sends
 * its code with (so `upload-error` in Uppy, and a caller's status checks, see a 409 or a 429 as
 * they would from the single call); null for a code this client does not know.
 */
function toError(e: ItemError['error']): UploadClientError {
  const status = Object.hasOwn(ERROR_STATUSES, e.code) ? ERROR_STATUSES[e.code as ErrorCode][0] : null;
  return new UploadClientError(status, e.code, e.message, e.details ?? {});
}

/** Loose objects leave `'error' in r` unnarrowed; an item is an error exactly when it has no upload. */
const isError = (r: object): r is ItemError => !('upload' in r) || r.upload === undefined;

function sameLength(results: readonly unknown[], sent: number, route: string): void {
  if (results.length !== sent) {
    throw new UploadClientError(
      200,
      'INVALID_RESPONSE',
      `${route} answered ${results.length} results for ${sent} items`,
    );
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
  const res = await api.request('POST', '/v1/uploads/batch', createBatchEnvelope, { uploads }, signal, {
    'idempotency-key': idempotencyKey,
  });
  sameLength(res.results, uploads.length, 'POST /v1/uploads/batch');
  return res.results.map((r): BatchCreateResult => {
    if (isError(r)) return { ok: false, error: toError(r.error) };
    const ok = r as { upload: Upload; urls?: PartUrl[]; deduplicated?: boolean };
    return { ok: true, upload: ok.upload, urls: ok.urls ?? [], deduplicated: !!ok.deduplicated };
  });
}

/** `POST /v1/uploads/batch-complete` for 1–100 ids: each item as `complete` would answer it. */
export async function batchComplete(
  api: HttpApiClient,
  ids: readonly string[],
  signal?: AbortSignal,
): Promise<BatchCompleteResult[]> {
  const res = await api.request('POST', '/v1/uploads/batch-complete', completeBatchEnvelope, { ids }, signal);
  sameLength(res.results, ids.length, 'POST /v1/uploads/batch-complete');
  return res.results.map((r): BatchCompleteResult =>
    isError(r) ? { ok: false, error: toError(r.error) } : { ok: true, upload: (r as { upload: Upload }).upload },
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
