import { validationFailed } from '../errors.ts';
import type { StoredResponse } from '../ports.ts';
import type { ApiRequest, ApiResult } from './api-event.ts';

/** 1–255 printable ASCII characters (docs/API.md, create). */
const KEY = /^[\x20-\x7e]{1,255}$/;

/** The request's Idempotency-Key, null when it sent none; a malformed one is a 400 before anything runs. */
export function idempotencyKeyOf(req: ApiRequest): string | null {
  const key = req.headers['idempotency-key'];
  if (key === undefined) return null;
  if (!KEY.test(key)) {
    throw validationFailed([
      { path: ['headers', 'idempotency-key'], message: 'Idempotency-Key must be 1 to 255 printable ASCII characters' },
    ]);
  }
  return key;
}

/** A response exactly as stored, marked when it is the replay of an earlier request's. */
export function storedResult(response: StoredResponse, replayed: boolean): ApiResult {
  return {
    statusCode: response.status,
    headers: {
      'content-type': 'application/json; charset=utf-8',
      ...(replayed ? { 'idempotent-replayed': 'true' } : {}),
    },
    body: response.body,
  };
}
