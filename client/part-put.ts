import { describe, isAbortError, UploadClientError } from './errors.ts';
import { isRetryableError, type RetryPolicy, withRetry } from './retry.ts';
import type { FetchLike } from './types.ts';
import type { PartUrlCache } from './url-cache.ts';

/** What a part PUT needs: the transport, the URL cache to (re)fetch from, and the backoff. */
export interface PutPartDeps {
  fetch: FetchLike;
  /** Where URLs come from; a stream of unknown size brings its own (see stream-upload.ts). */
  urls: Pick<PartUrlCache, 'get' | 'invalidate'>;
  retry: RetryPolicy;
}

/** What COS confirmed for one stored part. */
export interface PutPartResult {
  etag: string;
  crc64: string;
}

/** Below this a part's CRC64 takes well under a millisecond: not worth a timer turn. */
const OVERLAP_MIN_BYTES = 256 * 1024;

/** One macrotask turn: enough for fetch to start writing the request before we hash. */
const nextTurn = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

/**
 * PUTs one part to its presigned URL with exactly the headers the signature binds. Network errors,
 * 5xx and a CRC mismatch (bytes damaged on the way) are retried with backoff; a 403 — usually an
 * expired URL — refetches the URL once and tries again at once; anything else fails fast.
 *
 * `crc64` (memoised by the caller) is only needed to check COS's answer, so it is computed while
 * the request is in flight: fetch has copied the body by then, and the kernel (or the browser's
 * network process) moves bytes while this thread hashes them — rather than ~6 ms of hashing per
 * 8 MiB before each part's first byte can leave.
 */
export async function putPart(
  deps: PutPartDeps,
  partNumber: number,
  bytes: Uint8Array,
  crc64: () => string,
  signal: AbortSignal,
): Promise<PutPartResult> {
  let refetched = false;
  return withRetry(
    async () => {
      for (;;) {
        const url = await deps.urls.get(partNumber, signal);
        let res: Response;
        let text: string;
        let localCrc64: string;
        try {
          const pending = deps.fetch(url.url, {
            method: url.method,
            headers: url.headers,
            body: bytes as Uint8Array<ArrayBuffer>,
            signal,
          });
          if (bytes.byteLength >= OVERLAP_MIN_BYTES) {
            // Awaited below; until then a quick failure must not count as unhandled.
            pending.catch(() => {});
            await nextTurn();
          }
          localCrc64 = crc64();
          res = await pending;
          text = await res.text();
        } catch (e) {
          if (isAbortError(e) || signal.aborted) throw e;
          throw new UploadClientError(null, 'NETWORK_ERROR', `part ${partNumber}: PUT failed: ${describe(e)}`, {
            partNumber,
          });
        }
        if (res.status === 403 && !refetched) {
          refetched = true;
          deps.urls.invalidate(partNumber);
          continue;
        }
        if (!res.ok) throw cosError(res.status, text, partNumber);
        const etag = res.headers.get('etag');
        if (!etag) {
          throw new UploadClientError(
            res.status,
            'ETAG_MISSING',
            `part ${partNumber}: COS sent no ETag header (the bucket's CORS rule must expose ETag)`,
            { partNumber },
          );
        }
        const remoteCrc = res.headers.get('x-cos-hash-crc64ecma');
        if (remoteCrc !== null && remoteCrc !== localCrc64) {
          throw new UploadClientError(
            res.status,
            'CRC64_MISMATCH',
            `part ${partNumber}: COS stored CRC64 ${remoteCrc}, the local bytes have ${localCrc64}`,
            { partNumber, expected: localCrc64, actual: remoteCrc },
          );
        }
        return { etag, crc64: localCrc64 };
      }
    },
    deps.retry,
    signal,
    retryPut,
  );
}

/**
 * A part COS hashed differently was damaged on the way: sending it again is the repair, so it is
 * retried here although a CRC64_MISMATCH that survives the retries is not `retryable`. So is a
 * `BadDigest` (400) for a URL that binds the part's Content-MD5 (the `md5` option): COS received
 * other bytes than the ones hashed, which is the same damage caught before COS stored it.
 */
const retryPut = (e: unknown): boolean =>
  isRetryableError(e) ||
  (e instanceof UploadClientError &&
    (e.code === 'CRC64_MISMATCH' || (e.code === 'COS_ERROR' && e.details.cosCode === 'BadDigest')));

/** COS error XML is tiny and flat; two regexes spare the browser bundle an XML parser. */
function cosError(status: number, body: string, partNumber: number): UploadClientError {
  const code = /<Code>([^<]*)<\/Code>/.exec(body)?.[1] ?? `HTTP ${status}`;
  const message = /<Message>([^<]*)<\/Message>/.exec(body)?.[1] ?? '';
  return new UploadClientError(
    status,
    'COS_ERROR',
    `part ${partNumber}: COS answered ${status} ${code}${message ? `: ${message}` : ''}`,
    { partNumber, cosCode: code, cosMessage: message },
  );
}
