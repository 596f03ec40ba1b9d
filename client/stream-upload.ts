import { Crc64, combineParts } from '../shared/core/crc64.ts';
import * as z from 'zod/mini';
import { throwIfStopped, UploadClientError } from './errors.ts';
import { apiSettings, HttpApiClient } from './http-api-client.ts';
import { PartLedger } from './ledger.ts';
import { putPart } from './part-put.ts';
import { partUrlsEnvelope } from './schemas.ts';
import { SlotPool } from './slot-pool.ts';
import { type ObjectFieldOptions, objectFields } from './object-headers.ts';
import type { ApiClientOptions, PartUrl, Upload } from './types.ts';
import { validateUploadOptions } from './validate-options.ts';

/** Options of {@link uploadStream}. */
export interface StreamUploadOptions extends Omit<ApiClientOptions, 'baseUrl'>, ObjectFieldOptions {
  /** Base URL of the API. */
  baseUrl: string;
  /** The object's file name. */
  fileName: string;
  /** Content type (default `application/octet-stream`). */
  contentType?: string;
  /** Wished part size (default 8 MiB): `concurrency` parts of it are held in memory. */
  partSize?: number;
  /** The most the stream may hold (default 10,000 parts of `partSize`); more fails at the part past it. */
  maxSize?: number;
  /** Part PUTs in flight (default 4). */
  concurrency?: number;
  /** Stops the upload (rejects with `STOPPED`); a stream cannot be resumed, so the session is deleted. */
  signal?: AbortSignal;
  /** Bytes stored in COS so far (the total is unknown until the stream ends). */
  onProgress?: (bytesSent: number) => void;
}

const MiB = 1024 * 1024;
const URLS_AHEAD = 16;

/**
 * Uploads a stream of unknown length (a pipe, stdin): the session is created without a size, full
 * parts go as they fill, and the last part's URL is asked for with `finalPartSize`, which fixes the
 * size (`docs/API.md`, part-urls). Each part is held until the next byte arrives, because only then
 * is it known not to be the last. An empty stream becomes an empty object at create.
 */
export async function uploadStream(chunks: AsyncIterable<Uint8Array>, options: StreamUploadOptions): Promise<Upload> {
  validateUploadOptions({ ...options, onProgress: undefined });
  const settings = apiSettings(options);
  const api = new HttpApiClient(settings);
  const signal = options.signal;
  const wish = options.partSize ?? 8 * MiB;
  const reader = new PartReader(chunks[Symbol.asyncIterator]());
  const named = { fileName: options.fileName, contentType: options.contentType ?? 'application/octet-stream' };
  const object = { ...named, ...objectFields(options) };
  const first = await reader.take(1);
  if (first.byteLength === 0) return api.create({ ...object, size: 0 }, signal);
  reader.unshift(first);
  const upload = await api.create({ ...object, partSize: wish, maxSize: options.maxSize ?? wish * 10_000 }, signal);
  try {
    return await sendAll(api, settings, upload, reader, options);
  } catch (e) {
    // Nothing can resume a stream: leave no open session behind.
    await api.abort(upload.id).catch(() => {});
    throw e;
  }
}

async function sendAll(
  api: HttpApiClient,
  settings: ReturnType<typeof apiSettings>,
  upload: Upload,
  reader: PartReader,
  options: StreamUploadOptions,
): Promise<Upload> {
  const signal = options.signal ?? new AbortController().signal;
  const partSize = upload.partSize;
  const ledger = new PartLedger(api, upload.id, { batchSize: 1000, intervalMs: 20_000, now: settings.now });
  const pool = new SlotPool(options.concurrency ?? 4);
  const urls = new Map<number, PartUrl>();
  const crcs: { crc64: string; size: number }[] = [];
  const running = new Set<Promise<void>>();
  let failure: unknown = null;
  let sent = 0;
  const fetchUrls = async (numbers: number[], finalPartSize?: number) => {
    const body = finalPartSize === undefined ? { partNumbers: numbers } : { partNumbers: numbers, finalPartSize };
    const path = `/v1/uploads/${encodeURIComponent(upload.id)}/part-urls`;
    const res: z.output<typeof partUrlsEnvelope> = await api.request('POST', path, partUrlsEnvelope, body, signal);
    for (const u of res.urls) urls.set(u.partNumber, u as PartUrl);
  };
  let current = await reader.take(partSize);
  for (let n = 1; ; n++) {
    throwIfStopped(signal);
    if (failure) throw failure;
    const next = await reader.take(partSize);
    const final = next.byteLength === 0;
    if (final) await fetchUrls([n], current.byteLength);
    else if (!urls.has(n)) await fetchUrls(Array.from({ length: URLS_AHEAD }, (_, i) => n + i));
    const bytes = current;
    const partNumber = n;
    const slot = { get: async (p: number) => urls.get(p)!, invalidate: () => {} };
    // Wait for a free slot before reading on: memory stays at `concurrency` parts.
    await new Promise<void>((started) => {
      const job = pool.run(async () => {
        started();
        let crc: string | null = null;
        const { etag, crc64 } = await putPart(
          { fetch: settings.fetch, urls: slot, retry: settings.retry },
          partNumber,
          bytes,
          () => (crc ??= new Crc64().update(bytes).toString()),
          signal,
        );
        crcs[partNumber - 1] = { crc64, size: bytes.byteLength };
        ledger.add({ partNumber, etag, size: bytes.byteLength, crc64 });
        sent += bytes.byteLength;
        options.onProgress?.(sent);
      });
      const tracked = job.catch((e: unknown) => {
        failure ??= e;
      });
      running.add(tracked);
      void tracked.finally(() => running.delete(tracked));
    });
    if (final) break;
    current = next;
  }
  await Promise.all(running);
  if (failure) throw failure;
  await ledger.flushAll(signal);
  const done = await api.complete(upload.id, signal);
  const expected = combineParts(crcs);
  if (done.crc64 && done.crc64 !== expected) {
    throw new UploadClientError(null, 'CRC64_MISMATCH', 'the completed object does not match the streamed bytes', {
      expected,
      actual: done.crc64,
      uploadId: done.id,
    });
  }
  return done;
}

/** Cuts an async stream of chunks into pieces of exactly `n` bytes (shorter only at the end). */
class PartReader {
  private buffered: Uint8Array[] = [];
  private size = 0;
  private ended = false;
  private readonly it: AsyncIterator<Uint8Array>;

  constructor(it: AsyncIterator<Uint8Array>) {
    this.it = it;
  }

  unshift(bytes: Uint8Array): void {
    this.buffered.unshift(bytes);
    this.size += bytes.byteLength;
  }

  async take(n: number): Promise<Uint8Array> {
    while (this.size < n && !this.ended) {
      const r = await this.it.next();
      if (r.done) this.ended = true;
      else if (r.value.byteLength > 0) {
        this.buffered.push(r.value);
        this.size += r.value.byteLength;
      }
    }
    const out = new Uint8Array(Math.min(n, this.size));
    let at = 0;
    while (at < out.byteLength) {
      const head = this.buffered[0]!;
      const use = Math.min(head.byteLength, out.byteLength - at);
      out.set(head.subarray(0, use), at);
      at += use;
      if (use === head.byteLength) this.buffered.shift();
      else this.buffered[0] = head.subarray(use);
    }
    this.size -= out.byteLength;
    return out;
  }
}
