import { buildApiClient } from './http-api-client.ts';
import type { ApiClient } from './api-client.ts';
import { describe, isAbortError, stoppedError, throwIfStopped, UploadClientError } from './errors.ts';
import { type ObjectFieldOptions, objectFields } from './object-headers.ts';
import type { ApiClientOptions, Upload } from './types.ts';

/** Options of {@link appendUpload}. */
export interface AppendUploadOptions extends ApiClientOptions, ObjectFieldOptions {
  /** The object's file name (sanitised by the server into its key). */
  fileName: string;
  /** Content type of the object (default `application/octet-stream`). */
  contentType?: string;
  /** Stored as `x-cos-meta-*`; ≤ 10 keys of `[a-z0-9-]`. */
  metadata?: Record<string, string>;
  /** The most the object may grow to (default and ceiling: the server's, at most 5 GiB). */
  maxSize?: number;
  /** Stops the upload with `STOPPED`; what was appended stays on the open upload. */
  signal?: AbortSignal;
  /** After each piece COS accepted: the bytes appended so far. */
  onAppended?: (bytes: number, upload: Upload) => void;
  /** Called once the session exists, before any byte is sent (persist `upload.id`). */
  onUploadCreated?: (upload: Upload) => void;
}

/** Attempts per piece; a lost answer is resolved by asking where the upload stands (see below). */
const PIECE_ATTEMPTS = 4;

/**
 * Uploads bytes that are still being produced — a recording, a log — as an append upload
 * (`mode: "append"`, `docs/API.md` "Append uploads"): every chunk `source` yields is appended as it
 * comes, in pieces of any size, through a presigned APPEND Object per piece; when `source` ends the
 * upload is completed (sealed into an ordinary object) and the completed upload is returned.
 *
 * A piece whose answer is lost is not sent twice: the client asks for the next URL at the position
 * it believes, and when the server answers `APPEND_POSITION_MISMATCH` with the piece's end as
 * `actual`, the piece had landed. Empty chunks are skipped.
 *
 * ```ts
 * const done = await appendUpload(recorder.chunks(), { baseUrl, token, fileName: 'memo.m4a', contentType: 'audio/mp4' });
 * ```
 */
export async function appendUpload(
  source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  options: AppendUploadOptions,
): Promise<Upload> {
  const api = buildApiClient(options);
  const fetchFn = options.fetch ?? ((url: string, init?: RequestInit) => fetch(url, init));
  const { signal } = options;
  const upload = await api.create(
    {
      fileName: options.fileName,
      mode: 'append',
      ...(options.contentType ? { contentType: options.contentType } : {}),
      ...(options.metadata ? { metadata: options.metadata } : {}),
      ...(options.maxSize !== undefined ? { maxSize: options.maxSize } : {}),
      ...objectFields(options),
    },
    signal,
  );
  options.onUploadCreated?.(upload);
  let position = 0;
  for await (const chunk of source) {
    throwIfStopped(signal);
    if (chunk.length === 0) continue;
    position = await appendPiece(api, fetchFn, upload.id, position, chunk, signal);
    options.onAppended?.(position, upload);
  }
  return api.complete(upload.id, signal);
}

/** Sends one piece at `position`; resolves with the new length. */
async function appendPiece(
  api: ApiClient,
  fetchFn: NonNullable<ApiClientOptions['fetch']>,
  id: string,
  position: number,
  piece: Uint8Array,
  signal: AbortSignal | undefined,
): Promise<number> {
  const end = position + piece.length;
  let last: unknown;
  for (let attempt = 1; attempt <= PIECE_ATTEMPTS; attempt++) {
    // A short, growing pause before a retry: COS answered 5xx or the network dropped the piece.
    if (attempt > 1) await pause(250 * 2 ** (attempt - 2), signal);
    let url;
    try {
      url = await api.appendUrl(id, position, piece.length, signal);
    } catch (e) {
      // An earlier attempt landed and only its answer was lost: the upload is already `end` long.
      if (e instanceof UploadClientError && e.code === 'APPEND_POSITION_MISMATCH' && e.details.actual === end)
        return end;
      throw e;
    }
    try {
      const res = await fetchFn(url.url, { method: 'POST', headers: url.headers, body: piece as BodyInit, signal });
      const text = await res.text();
      if (res.ok) return end;
      last = new UploadClientError(
        res.status,
        'COS_ERROR',
        `COS refused the append at ${position}: ${res.status} ${text.slice(0, 200)}`,
      );
      // 4xx from COS (another writer moved the object on, a bad signature) will not heal by itself.
      if (res.status < 500) throw last;
    } catch (e) {
      if (isAbortError(e) || e === last) throw e;
      last = new UploadClientError(
        null,
        'NETWORK_ERROR',
        `append at ${position} failed: ${describe(e)}`,
        {},
        { cause: e },
      );
    }
  }
  throw last;
}

/** Waits `ms`, or rejects with `STOPPED` when `signal` fires first. */
function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(done, ms);
    function done() {
      signal?.removeEventListener('abort', stop);
      resolve();
    }
    function stop() {
      clearTimeout(t);
      reject(stoppedError(signal?.reason));
    }
    if (signal?.aborted) stop();
    else signal?.addEventListener('abort', stop, { once: true });
  });
}
