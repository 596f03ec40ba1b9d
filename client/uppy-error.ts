import { UploadClientError, type UploadErrorCode } from './errors.ts';

/**
 * What `upload-error` carries: the client's {@link UploadClientError} (`cause`) shaped for Uppy.
 * `code`, `message` and `contract` are the API's error body (or a client code such as
 * `NETWORK_ERROR`); `details` is the code as text, which Uppy shows after the message.
 */
export class CosUploadError extends Error {
  /** Always `CosUploadError`. */
  override readonly name = 'CosUploadError';
  /** The contract's (or the client's) error code, e.g. `UPLOAD_TOO_LARGE`. */
  readonly code: UploadErrorCode;
  /** The HTTP status of the answer the error came from; null without one. */
  readonly status: number | null;
  /** Whether trying again (Uppy's retry) may succeed. */
  readonly retryable: boolean;
  /** The error body: `{ code, message, details }` with the contract's structured details. */
  readonly contract: { code: UploadErrorCode; message: string; details: Record<string, unknown> };
  /** Shown by Uppy after the message: the code. */
  readonly details: string;

  /** Wraps a client error (anything else becomes `UPLOAD_FAILED`). */
  constructor(error: unknown) {
    const e =
      error instanceof UploadClientError
        ? error
        : new UploadClientError(null, 'UPLOAD_FAILED', error instanceof Error ? error.message : String(error));
    super(e.message, { cause: error });
    this.code = e.code;
    this.status = e.status;
    this.retryable = e.retryable;
    this.contract = { code: e.code, message: e.message, details: e.details };
    this.details = `(${e.code})`;
  }
}
