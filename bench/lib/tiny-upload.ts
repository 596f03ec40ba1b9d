import { randomBytes } from 'node:crypto';
import { createUpload } from '../../shared/core/create-upload.ts';
import type { CoreDeps } from '../../shared/core/deps.ts';
import { type PartInput, recordParts } from '../../shared/core/record-parts.ts';
import type { UploadRecord } from '../../shared/ports.ts';
import { mapBounded } from '../../shared/core/bounded.ts';

/**
 * The same deps with the part-size floor lifted, so the real planner accepts a 10,000-part
 * upload of tiny parts. Only the planner reads these two limits; COS itself (the emulator) still
 * enforces 1 MiB for every part but the last when it assembles, which the benchmarks say.
 */
export const tinyPartDeps = (deps: CoreDeps): CoreDeps => ({
  ...deps,
  limits: { ...deps.limits, minPartBytes: 1, singlePutMaxBytes: 0 },
});

export interface TinyUploadOptions {
  owner: string;
  parts: number;
  partBytes: number;
  concurrency: number;
  /** Record the parts in the ledger (as a client would, in batches of 1,000). */
  record: boolean;
}

/**
 * Creates a multipart upload through the core and PUTs every part straight to the emulator with
 * presigned URLs from the server's own storage adapter (the account key), in parallel.
 */
export async function tinyPartUpload(
  deps: CoreDeps,
  o: TinyUploadOptions,
): Promise<{ upload: UploadRecord; parts: PartInput[] }> {
  const d = tinyPartDeps(deps);
  const upload = await createUpload(d, o.owner, {
    fileName: 'tiny-parts.bin',
    size: o.parts * o.partBytes,
    partSize: o.partBytes,
  });
  if (upload.partCount !== o.parts) throw new Error(`planner chose ${upload.partCount} parts, wanted ${o.parts}`);
  const numbers = Array.from({ length: o.parts }, (_, i) => i + 1);
  const now = new Date();
  const parts = await mapBounded(numbers, o.concurrency, async (n): Promise<PartInput> => {
    const [signed] = d.storage.presignUploadParts(
      upload.key,
      upload.cosUploadId!,
      [{ partNumber: n, contentLength: o.partBytes }],
      now,
      3600,
    );
    if (!signed) throw new Error(`part ${n}: nothing signed`);
    const res = await fetch(signed.url, { method: 'PUT', headers: signed.headers, body: randomBytes(o.partBytes) });
    await res.arrayBuffer();
    const etag = res.headers.get('etag');
    if (!res.ok || !etag) throw new Error(`part ${n}: HTTP ${res.status}`);
    return { partNumber: n, etag, size: o.partBytes, crc64: res.headers.get('x-cos-hash-crc64ecma') ?? undefined };
  });
  if (o.record) {
    for (let i = 0; i < parts.length; i += 1000) await recordParts(d, upload, parts.slice(i, i + 1000));
  }
  const fresh = await d.store.get(upload.id);
  if (!fresh) throw new Error('upload vanished');
  return { upload: fresh, parts };
}
