/**
 * The project's one error family. Adapters translate foreign errors (DynamoDB conditional
 * failures, COS error XML, STS errors) into an UploadError at their boundary; the outermost
 * HTTP middleware turns it into the contract body. Anything else is a bug and becomes an opaque
 * 500 without details.
 */
export type ErrorCode =
  | 'VALIDATION_FAILED'
  | 'MALFORMED_JSON'
  | 'PAYLOAD_TOO_LARGE'
  | 'UNAUTHORIZED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'UPLOAD_NOT_OPEN'
  | 'UPLOAD_NOT_COMPLETED'
  | 'PARTS_INVALID'
  | 'UPLOAD_TOO_LARGE'
  | 'CONTENT_TYPE_NOT_ALLOWED'
  | 'TOO_MANY_OPEN_UPLOADS'
  | 'IDEMPOTENCY_KEY_IN_USE'
  | 'IDEMPOTENCY_KEY_REUSED'
  | 'STORAGE_UNAVAILABLE'
  | 'STORE_UNAVAILABLE'
  | 'INTERNAL';

export type ErrorDetails = Record<string, unknown>;

export class UploadError extends Error {
  override readonly name = 'UploadError';
  readonly status: number;
  readonly code: ErrorCode;
  readonly details: ErrorDetails;

  constructor(status: number, code: ErrorCode, message: string, details: ErrorDetails = {}, options?: ErrorOptions) {
    super(message, options);
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

export interface ValidationIssue {
  path: (string | number)[];
  message: string;
}

export const validationFailed = (issues: ValidationIssue[], message = 'request failed validation') =>
  new UploadError(400, 'VALIDATION_FAILED', message, { issues });

export const malformedJson = () => new UploadError(400, 'MALFORMED_JSON', 'request body is not valid JSON');

export const payloadTooLarge = (limit: number) =>
  new UploadError(413, 'PAYLOAD_TOO_LARGE', `request body exceeds ${limit} bytes`, { limit });

export const unauthorized = (message = 'missing, invalid or expired token') =>
  new UploadError(401, 'UNAUTHORIZED', message);

export const forbidden = (message = 'this route needs the uploads:admin scope') =>
  new UploadError(403, 'FORBIDDEN', message);

export const notFound = (message = 'not found') => new UploadError(404, 'NOT_FOUND', message);

export const uploadNotOpen = (state: string, message = `upload is ${state}`) =>
  new UploadError(409, 'UPLOAD_NOT_OPEN', message, { state });

/** A download of an upload that has no object yet (or never will). */
export const uploadNotCompleted = (state: string) =>
  new UploadError(409, 'UPLOAD_NOT_COMPLETED', `upload is ${state}: only a completed upload can be downloaded`, {
    state,
  });

export interface PartsInvalidDetails {
  missing: number[];
  wrongSize: { partNumber: number; expected: number; actual: number }[];
  etagMismatch: { partNumber: number; recorded: string; stored: string | null }[];
  crc64Mismatch?: { expected: string; actual: string };
  [key: string]: unknown;
}

export const partsInvalid = (details: PartsInvalidDetails, message = 'parts do not match the upload plan') =>
  new UploadError(409, 'PARTS_INVALID', message, details);

export const uploadTooLarge = (message: string, details: ErrorDetails = {}) =>
  new UploadError(413, 'UPLOAD_TOO_LARGE', message, details);

export const contentTypeNotAllowed = (contentType: string) =>
  new UploadError(415, 'CONTENT_TYPE_NOT_ALLOWED', `content type ${contentType} is not allowed`, { contentType });

export const tooManyOpenUploads = (limit: number) =>
  new UploadError(429, 'TOO_MANY_OPEN_UPLOADS', `owner already has ${limit} open uploads`, { limit });

/** Another request with the same Idempotency-Key is still running (or its claim has not lapsed yet). */
export const idempotencyKeyInUse = () =>
  new UploadError(409, 'IDEMPOTENCY_KEY_IN_USE', 'a request with this Idempotency-Key is still being processed');

/** The same Idempotency-Key came with a different body: a client bug, never retried into success. */
export const idempotencyKeyReused = () =>
  new UploadError(422, 'IDEMPOTENCY_KEY_REUSED', 'this Idempotency-Key was used with a different request body');

/** COS or STS failed after retries. `cause` keeps the upstream error for logs, never for the body. */
export const storageUnavailable = (
  message = 'object storage is unavailable, try again',
  cause?: unknown,
  status = 503,
) => new UploadError(status, 'STORAGE_UNAVAILABLE', message, {}, { cause });

/**
 * The upload table throttled or failed after the SDK's retries (or SQLite stayed locked): retryable,
 * like COS's 503. The adapters translate at their boundary; `cause` is for logs only.
 */
export const storeUnavailable = (cause?: unknown, message = 'the upload store is unavailable, try again') =>
  new UploadError(503, 'STORE_UNAVAILABLE', message, {}, { cause });

/** A deployment without what a route needs (no STS issuer, say): the server's fault, not a retry's. */
export const notConfigured = (what: string) =>
  new UploadError(500, 'INTERNAL', `${what} is not configured on this server`);

/**
 * COS answered, and refused: the core branches on some of these (a vanished multipart upload
 * after a crash, parts COS would not assemble). Unhandled, they surface as 502.
 */
export type StorageRejection =
  'NoSuchUpload' | 'NoSuchKey' | 'InvalidPart' | 'InvalidPartOrder' | 'EntityTooSmall' | 'AccessDenied' | 'Other';

export const storageRejected = (reason: StorageRejection, message: string, cause?: unknown) =>
  new UploadError(502, 'STORAGE_UNAVAILABLE', message, { reason }, { cause });

export const isStorageRejection = (e: unknown, ...reasons: StorageRejection[]): e is UploadError =>
  e instanceof UploadError &&
  e.code === 'STORAGE_UNAVAILABLE' &&
  reasons.includes(e.details.reason as StorageRejection);

export const isUploadError = (e: unknown): e is UploadError => e instanceof UploadError;
