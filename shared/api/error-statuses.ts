import type { ErrorCode } from '../errors.ts';

/**
 * The statuses each error code of the error family (shared/errors.ts) is sent with, as its
 * factories set them. A `Record` over `ErrorCode`, so a new code does not compile until it has a
 * status here; test/unit/openapi.test.ts builds one error of each kind and checks its status.
 */
export const ERROR_STATUSES = {
  VALIDATION_FAILED: [400],
  MALFORMED_JSON: [400],
  UNAUTHORIZED: [401],
  FORBIDDEN: [403],
  NOT_FOUND: [404],
  UPLOAD_NOT_OPEN: [409],
  UPLOAD_NOT_COMPLETED: [409],
  PARTS_INVALID: [409],
  PAYLOAD_TOO_LARGE: [413],
  UPLOAD_TOO_LARGE: [413],
  CONTENT_TYPE_NOT_ALLOWED: [415],
  TOO_MANY_OPEN_UPLOADS: [429],
  IDEMPOTENCY_KEY_IN_USE: [409],
  IDEMPOTENCY_KEY_REUSED: [422],
  INTERNAL: [500],
  // 502: COS or STS answered and refused (or answered garbage); 503: unreachable after retries.
  STORAGE_UNAVAILABLE: [502, 503],
  STORE_UNAVAILABLE: [503],
} as const satisfies Record<ErrorCode, readonly number[]>;
