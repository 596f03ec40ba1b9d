import type { ApiClient } from './api-client.ts';
import { UploadClientError } from './errors.ts';
import type { PartUrl } from './types.ts';

interface Entry {
  url: PartUrl;
  expiresAtMs: number;
  /** Fresh until this instant: expiry minus the safety margin. */
  staleAtMs: number;
  /** URLs fetched together expire together; a 403 on one condemns its whole batch. */
  batch: number;
}

/** Order, batching and expiry policy of {@link PartUrlCache}. */
export interface UrlCacheOptions {
  /** Part numbers in the order they will be uploaded. */
  order: readonly number[];
  /** False once a part is done, so no URL is fetched for it. */
  needed: (partNumber: number) => boolean;
  batchSize: number;
  marginMs: number;
  now: () => number;
  /** Stops background prefetches when the upload stops. */
  signal?: AbortSignal;
  /**
   * With the `md5` option: a part's Content-MD5 once it has been read. URLs are fetched only for
   * parts that have one (`needed` must say false for the others), each binding it.
   */
  md5?: (partNumber: number) => string | undefined;
  /** Sent with every part-urls call (bits/s). */
  trafficLimit?: number;
}

/**
 * Presigned part URLs, fetched ahead of need in batches (one API call for up to 1,000 parts) and
 * refetched when they are about to expire. Concurrent requests for parts of one batch share one
 * call, so a 10,000-part upload costs ~10 part-urls calls.
 */
export class PartUrlCache {
  private readonly entries = new Map<number, Entry>();
  private readonly inflight = new Map<number, Promise<void>>();
  private readonly index = new Map<number, number>();
  private batches = 0;
  /** Number of part-urls API calls made (for diagnostics and tests). */
  calls = 0;

  private readonly api: ApiClient;
  private readonly uploadId: string;
  private readonly opts: UrlCacheOptions;

  constructor(api: ApiClient, uploadId: string, opts: UrlCacheOptions) {
    this.api = api;
    this.uploadId = uploadId;
    this.opts = opts;
    for (const [i, n] of opts.order.entries()) this.index.set(n, i);
  }

  /** URLs that came with the create answer (`presign`): used before any part-urls call. */
  seed(urls: readonly PartUrl[]): void {
    if (urls.length > 0) this.store(urls, ++this.batches);
  }

  /** A URL for `partNumber` that is not about to expire; fetches a batch when needed. */
  async get(partNumber: number, signal?: AbortSignal): Promise<PartUrl> {
    let entry = this.fresh(partNumber);
    if (!entry) {
      const pending = this.inflight.get(partNumber);
      // A failed shared fetch reports its error to whoever started it; we simply fetch again.
      if (pending) await pending.catch(() => {});
      entry = this.fresh(partNumber);
    }
    if (!entry) {
      await this.fetchFrom(partNumber, signal);
      // Stale by our clock right after fetching means clock skew: let COS judge (a 403 refetches).
      entry = this.entries.get(partNumber);
      if (!entry) {
        throw new UploadClientError(null, 'INVALID_RESPONSE', `part-urls returned no URL for part ${partNumber}`);
      }
    }
    this.prefetchAfter(partNumber);
    return entry.url;
  }

  private fresh(partNumber: number): Entry | undefined {
    const entry = this.entries.get(partNumber);
    return entry && entry.staleAtMs > this.opts.now() ? entry : undefined;
  }

  /** COS refused a URL (403): forget it and every URL fetched with it. */
  invalidate(partNumber: number): void {
    const entry = this.entries.get(partNumber);
    if (!entry) return;
    for (const [n, e] of this.entries) if (e.batch === entry.batch) this.entries.delete(n);
  }

  /** Keeps a window of valid URLs ahead of the upload so workers rarely wait for an API call. */
  private prefetchAfter(partNumber: number): void {
    const { order, batchSize } = this.opts;
    const low = Math.max(1, Math.floor(batchSize / 4));
    const now = this.opts.now();
    let covered = 0;
    for (let i = (this.index.get(partNumber) ?? 0) + 1; i < order.length && covered < low; i++) {
      const n = order[i]!;
      if (!this.opts.needed(n)) continue;
      if (this.inflight.has(n) || (this.entries.get(n)?.staleAtMs ?? 0) > now) {
        covered++;
        continue;
      }
      // First uncovered part inside the low-water window: fetch the next batch from it. Errors
      // are ignored here; get() refetches on demand and reports the error to its caller.
      this.fetchFrom(n, this.opts.signal).catch(() => {});
      return;
    }
  }

  private fetchFrom(partNumber: number, signal?: AbortSignal): Promise<void> {
    const now = this.opts.now();
    const numbers: number[] = [partNumber];
    const { order, batchSize } = this.opts;
    for (
      let i = (this.index.get(partNumber) ?? order.length) + 1;
      i < order.length && numbers.length < batchSize;
      i++
    ) {
      const n = order[i]!;
      if (!this.opts.needed(n) || this.inflight.has(n) || (this.entries.get(n)?.staleAtMs ?? 0) > now) continue;
      numbers.push(n);
    }
    const batch = ++this.batches;
    this.calls++;
    const { md5, trafficLimit } = this.opts;
    const parts = md5 ? numbers.map((n) => ({ partNumber: n, md5: md5(n) ?? '' })) : numbers;
    const options = trafficLimit === undefined ? undefined : { trafficLimit };
    const p = this.api.partUrls(this.uploadId, parts, signal, options).then((urls) => this.store(urls, batch));
    const settled = p.finally(() => {
      for (const n of numbers) if (this.inflight.get(n) === settled) this.inflight.delete(n);
    });
    for (const n of numbers) this.inflight.set(n, settled);
    // Waiters on `inflight` must not see the rejection as unhandled; the caller of fetchFrom does.
    settled.catch(() => {});
    return p;
  }

  private store(urls: readonly PartUrl[], batch: number): void {
    const fetchedAt = this.opts.now();
    for (const url of urls) {
      const expiresAtMs = Date.parse(url.expiresAt);
      const lifetime = Number.isFinite(expiresAtMs) ? expiresAtMs - fetchedAt : 0;
      // A margin larger than a short URL lifetime would make every URL born stale.
      const margin = Math.min(this.opts.marginMs, Math.max(0, lifetime / 4));
      const staleAtMs = Number.isFinite(expiresAtMs) ? expiresAtMs - margin : fetchedAt + 60_000;
      this.entries.set(url.partNumber, { url, expiresAtMs, staleAtMs, batch });
    }
  }
}
