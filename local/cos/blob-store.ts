import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { open, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Crc64 } from '../../shared/core/crc64.ts';
import { CosError } from './cos-error.ts';

/**
 * Object and part bytes on disk. Files are named by random ids, never by the object key (keys
 * are arbitrary UTF-8). Bodies stream through MD5 + CRC64 into a temp file and are renamed into
 * place only when complete, so a dropped upload leaves no half-written blob behind.
 */

const COPY_CHUNK = 1 << 20;

export interface ReceivedBlob {
  id: string;
  size: number;
  md5: Buffer;
  crc64: string;
}

export class BlobStore {
  private readonly blobs: string;
  private readonly tmp: string;

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

  /** Streams a request body to a new blob, failing with EntityTooLarge past maxBytes. */
  async receive(body: Readable, maxBytes: number): Promise<ReceivedBlob> {
    const id = randomUUID();
    const tmpPath = join(this.tmp, id);
    const md5 = createHash('md5');
    const crc = new Crc64();
    let size = 0;
    try {
      await pipeline(
        body,
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
   * Concatenates blobs into a new one (part files into the completed object), in order. One
   * reused buffer and positional reads/writes: a 5 GiB merge allocates nothing per chunk, so it
   * leaves no garbage for the GC to let pile up.
   */
  async concat(ids: readonly string[]): Promise<string> {
    const id = randomUUID();
    const tmpPath = join(this.tmp, id);
    const buf = Buffer.allocUnsafe(COPY_CHUNK);
    const out = await open(tmpPath, 'w');
    try {
      let written = 0;
      for (const part of ids) {
        const src = await open(this.path(part), 'r');
        try {
          for (;;) {
            const { bytesRead } = await src.read(buf, 0, COPY_CHUNK, null);
            if (bytesRead === 0) break;
            let off = 0;
            while (off < bytesRead) {
              const { bytesWritten } = await out.write(buf, off, bytesRead - off, written);
              off += bytesWritten;
              written += bytesWritten;
            }
          }
        } finally {
          await src.close();
        }
      }
      await out.close();
      await rename(tmpPath, this.path(id));
    } catch (e) {
      await out.close().catch(() => {});
      await unlink(tmpPath).catch(() => {});
      throw e;
    }
    return id;
  }

  /** A read stream over [start, end] inclusive (the whole blob when omitted). */
  read(id: string, range?: { start: number; end: number }): Readable {
    return createReadStream(this.path(id), { highWaterMark: 1 << 20, ...(range ?? {}) });
  }

  async remove(ids: readonly (string | null | undefined)[]): Promise<void> {
    await Promise.all(ids.filter((i): i is string => !!i).map((i) => unlink(this.path(i)).catch(() => {})));
  }

  /** Number of blobs on disk (tests check nothing leaks). */
  count(): number {
    return readdirSync(this.blobs).length;
  }
}
