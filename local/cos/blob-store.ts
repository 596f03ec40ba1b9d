import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream, mkdirSync, readdirSync, rmSync, unlinkSync } from 'node:fs';
import { rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Crc64 } from '../../shared/core/crc64.ts';
import { CosError } from './cos-error.ts';
import type { SegmentRow } from './meta-rows.ts';

/**
 * Object and part bytes on disk. Files are named by random ids, never by the object key (keys
 * are arbitrary UTF-8). Bodies stream through MD5 + CRC64 into a temp file and are renamed into
 * place only when complete, so a dropped upload leaves no half-written blob behind. A completed
 * multipart object is not a blob of its own but its part blobs read in order (see MetaStore).
 *
 * A blob removed while a GET is still streaming it stays on disk until that read ends, so a
 * download that started before an overwrite or delete gets the whole old version, as on COS.
 */

const READ_CHUNK = 1 << 20;

export interface ReceivedBlob {
  id: string;
  size: number;
  md5: Buffer;
  crc64: string;
}

export class BlobStore {
  private readonly blobs: string;
  private readonly tmp: string;
  /** Blob → number of reads streaming it. */
  private readonly readers = new Map<string, number>();
  /** Removed while being read: unlinked when the last reader is done. */
  private readonly doomed = new Set<string>();

  constructor(dataDir: string) {
    this.blobs = join(dataDir, 'blobs');
    this.tmp = join(dataDir, 'tmp');
    mkdirSync(this.blobs, { recursive: true });
    // Temp files are only ever bodies that did not finish; a restart can forget them.
    rmSync(this.tmp, { recursive: true, force: true });
    mkdirSync(this.tmp, { recursive: true });
  }

  path(id: string): string {
    return join(this.blobs, id);
  }

  /**
   * Streams a request body to a new blob, failing with EntityTooLarge past maxBytes; `pace`
   * (a traffic limit, traffic-limit.ts) sits between the socket and the hashing.
   */
  async receive(
    body: Readable,
    maxBytes: number,
    pace: (source: AsyncIterable<Buffer>) => AsyncIterable<Buffer> = (s) => s,
  ): Promise<ReceivedBlob> {
    const id = randomUUID();
    const tmpPath = join(this.tmp, id);
    const md5 = createHash('md5');
    const crc = new Crc64();
    let size = 0;
    try {
      await pipeline(
        body,
        pace,
        async function* (source: AsyncIterable<Buffer>) {
          for await (const chunk of source) {
            size += chunk.length;
            if (size > maxBytes)
              throw new CosError(
                400,
                'EntityTooLarge',
                `Your proposed upload exceeds the maximum allowed size of ${maxBytes} bytes.`,
              );
            md5.update(chunk);
            crc.update(chunk);
            yield chunk;
          }
        },
        createWriteStream(tmpPath),
      );
      await rename(tmpPath, this.path(id));
    } catch (e) {
      await unlink(tmpPath).catch(() => {});
      throw e;
    }
    return { id, size, md5: md5.digest(), crc64: crc.toString() };
  }

  /**
   * The object bytes [start, end] (inclusive) from its segments, in order. The blobs are pinned
   * at once (synchronously, so no removal can slip in between the metadata read and this call)
   * and released when the stream ends or is destroyed.
   */
  read(segments: readonly SegmentRow[], start: number, end: number): Readable {
    const pieces = segments
      .map((s) => ({ blob: s.blob, start: Math.max(0, start - s.pos), end: Math.min(s.size, end + 1 - s.pos) - 1 }))
      .filter((p) => p.end >= p.start);
    for (const p of pieces) this.readers.set(p.blob, (this.readers.get(p.blob) ?? 0) + 1);
    const path = (id: string) => this.path(id);
    const stream = Readable.from(
      (async function* () {
        for (const p of pieces) {
          // for-await destroys the file stream when this generator is returned early.
          for await (const chunk of createReadStream(path(p.blob), {
            start: p.start,
            end: p.end,
            highWaterMark: READ_CHUNK,
          }))
            yield chunk as Buffer;
        }
      })(),
      { objectMode: false, highWaterMark: READ_CHUNK },
    );
    stream.once('close', () => {
      for (const p of pieces) this.release(p.blob);
    });
    return stream;
  }

  private release(id: string): void {
    const n = (this.readers.get(id) ?? 1) - 1;
    if (n > 0) return void this.readers.set(id, n);
    this.readers.delete(id);
    if (this.doomed.delete(id)) void unlink(this.path(id)).catch(() => {});
  }

  async remove(ids: readonly (string | null | undefined)[]): Promise<void> {
    const now: string[] = [];
    for (const id of ids) {
      if (!id) continue;
      if (this.readers.has(id)) this.doomed.add(id);
      else now.push(id);
    }
    await Promise.all(now.map((i) => unlink(this.path(i)).catch(() => {})));
  }

  /** At start-up: deletes blob files no row names (a crash between a commit and its unlinks). */
  sweep(referenced: ReadonlySet<string>): number {
    let removed = 0;
    for (const name of readdirSync(this.blobs)) {
      if (referenced.has(name)) continue;
      unlinkSync(this.path(name));
      removed++;
    }
    return removed;
  }

  /** Number of blobs on disk (tests check nothing leaks). */
  count(): number {
    return readdirSync(this.blobs).length;
  }
}
