import { storeUnavailable } from '../errors.ts';

/**
 * Which DynamoDB failures mean "the table is unavailable, try again" — what the SDK itself retries
 * (its standard strategy's throttling and transient classes, @smithy/core's
 * service-error-classification) and still got after its last attempt. They leave the table client
 * as `storeUnavailable` (503 STORE_UNAVAILABLE, retryable), as the COS client's do as
 * STORAGE_UNAVAILABLE. Everything else is left as it is: a ConditionalCheckFailedException is the
 * port's null/false, and a ValidationException or a missing table is our bug or our configuration
 * (an opaque 500). Transactions (the quota counters) are cancelled as a whole: the table client
 * reads their reasons (dynamodb-table-client.ts `transact`).
 */
const THROTTLING = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
  // Global tables with strong consistency: a conflicting write elsewhere, retryable by definition.
  'ReplicatedWriteConflictException',
  // A plain write met a transaction on its item; the table client has tried it again already.
  'TransactionConflictException',
]);

const SERVER = new Set(['InternalServerError', 'ServiceUnavailable', 'InternalFailure']);

/** The SDK's transient names and Node's socket errors (a refused, reset or timed-out connection, DNS). */
const TRANSIENT_NAMES = new Set(['TimeoutError', 'RequestTimeout', 'RequestTimeoutException']);
const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

interface SdkErrorFields {
  name?: unknown;
  code?: unknown;
  $fault?: unknown;
  $retryable?: unknown;
  $metadata?: { httpStatusCode?: unknown };
  cause?: unknown;
}

export function isUnavailable(e: unknown, depth = 0): boolean {
  if (!(e instanceof Error) || e.name === 'AbortError') return false;
  const f = e as SdkErrorFields;
  const status = f.$metadata?.httpStatusCode;
  if (typeof f.name === 'string' && (THROTTLING.has(f.name) || SERVER.has(f.name) || TRANSIENT_NAMES.has(f.name))) {
    return true;
  }
  if (status === 429 || (typeof status === 'number' && status >= 500 && status <= 599)) return true;
  if (f.$fault === 'server' || f.$retryable !== undefined) return true;
  if (typeof f.code === 'string' && NETWORK_CODES.has(f.code)) return true;
  return depth < 5 && f.cause !== undefined && isUnavailable(f.cause, depth + 1);
}

/** What a failed call leaves the table client as: `storeUnavailable(e)` when retrying later can help, else `e`. */
export function translateDynamoDbError(e: unknown): unknown {
  return isUnavailable(e) ? storeUnavailable(e) : e;
}
