import { Crc64 } from '../shared/core/crc64.ts';
import type { ApiClient } from './api-client.ts';
import { throwIfStopped, UploadClientError } from './errors.ts';
import type { PartLedger } from './ledger.ts';
import { contentMd5 } from './md5.ts';
import { PartBuffers } from './part-buffers.ts';
import { putPart } from './part-put.ts';
import type { ProgressTracker } from './progress.ts';
import type { RetryPolicy } from './retry.ts';
import { runPool } from './scheduler.ts';
import type { PartSlot, Session } from './session.ts';
import type { UploadSource } from './sources.ts';
import type { FetchLike, PartUrl } from './types.ts';
import { PartUrlCache } from './url-cache.ts';

/** Everything one pass over the parts needs. */
export interface PartSenderDeps {
  api: ApiClient;
  fetch: FetchLike;
  retry: RetryPolicy;
  source: UploadSource;
  progress: ProgressTracker;
  now: () => number;
  concurrency: number;
  urlBatchSize: number;
  urlExpiryMarginMs: number;
  /** Bind each part's Content-MD5 in its URL (the `md5` option). */
  md5?: boolean;
  /** x-cos-traffic-limit asked for every part URL (bits/s). */
  trafficLimit?: number;
  /** URLs the create answer already carried (`presign`), so small files need no part-urls call. */
  presigned?: readonly PartUrl[];
  /**
   * Runs each part (read and PUT) inside a slot of a pool shared with other files' parts
   * (`uploadMany`), so `concurrency` bounds the whole set rather than each file.
   */
  gate?: <T>(work: () => Promise<T>) => Promise<T>;
}

/**
 * One pass over the parts not yet done, `concurrency` at a time, in part order. Each part is read
 * once: its CRC64 both decides whether a recorded part can be skipped on resume and is checked
 * against COS's on upload (hashed while the PUT is in flight when there is no record to compare).
 * Multipart parts go to the ledger (single uploads have nothing to record).
 */
export async function sendPendingParts(
  deps: PartSenderDeps,
  session: Session,
  ledger: PartLedger,
  signal: AbortSignal,
): Promise<void> {
  const todo = session.slots.filter((s) => !s.done);
  // With md5, a part's URL needs its bytes' MD5: known once the part is read, so URLs are
  // fetched for the parts read so far (those in flight), not ahead.
  const md5s = deps.md5 ? new Map<number, string>() : null;
  const urls = new PartUrlCache(deps.api, session.upload.id, {
    order: todo.map((s) => s.partNumber),
    needed: (n) => !session.slots[n - 1]?.done && (md5s === null || md5s.has(n)),
    batchSize: deps.urlBatchSize,
    marginMs: deps.urlExpiryMarginMs,
    now: deps.now,
    signal,
    ...(md5s ? { md5: (n: number) => md5s.get(n) } : {}),
    ...(deps.trafficLimit === undefined ? {} : { trafficLimit: deps.trafficLimit }),
  });
  if (deps.presigned) urls.seed(deps.presigned);
  const record = session.upload.strategy === 'multipart' ? ledger : null;
  const buffers = new PartBuffers();
  await runPool(
    todo,
    deps.concurrency,
    async (slot, s) => {
      const work = async () => {
        const part = await buffers.read(deps.source, slot.start, slot.end);
        try {
          await sendPart(deps, slot, part.bytes, urls, record, s, md5s);
        } finally {
          part.release();
        }
      };
      await (deps.gate ? deps.gate(work) : work());
    },
    signal,
  );
}

async function sendPart(
  deps: PartSenderDeps,
  slot: PartSlot,
  bytes: Uint8Array,
  urls: PartUrlCache,
  ledger: PartLedger | null,
  signal: AbortSignal,
  md5s: Map<number, string> | null,
): Promise<void> {
  const size = slot.end - slot.start;
  if (bytes.byteLength !== size) {
    throw new UploadClientError(null, 'SOURCE_MISMATCH', `read ${bytes.byteLength} bytes for part ${slot.partNumber}`);
  }
  throwIfStopped(signal);
  let memo: string | null = null;
  const crc = () => (memo ??= new Crc64().update(bytes).toString());
  if (slot.recorded && slot.recorded.crc64 === crc()) {
    slot.done = { etag: slot.recorded.etag, crc64: crc() };
    deps.progress.partDone(size, true);
    return;
  }
  // Read from the very bytes the PUT sends, before any URL for them is asked for.
  md5s?.set(slot.partNumber, contentMd5(bytes));
  const { etag, crc64 } = await putPart(
    { fetch: deps.fetch, urls, retry: deps.retry },
    slot.partNumber,
    bytes,
    crc,
    signal,
  );
  slot.done = { etag, crc64 };
  deps.progress.partDone(size, false);
  if (ledger) {
    ledger.add({ partNumber: slot.partNumber, etag, size, crc64 });
    await ledger.maybeFlush(signal);
  }
}
