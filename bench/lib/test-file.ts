import { randomFillSync } from 'node:crypto';
import { open } from 'node:fs/promises';
import { Crc64 } from '../../shared/core/crc64.ts';
import { MiB } from './stats.ts';

/** Writes `bytes` random bytes to `path` once, returning their CRC64 (decimal) for checks. */
export async function makeTestFile(path: string, bytes: number): Promise<string> {
  const crc = new Crc64();
  const chunk = Buffer.allocUnsafe(16 * MiB);
  const fh = await open(path, 'w');
  try {
    for (let written = 0; written < bytes;) {
      const n = Math.min(chunk.length, bytes - written);
      const view = chunk.subarray(0, n);
      randomFillSync(view);
      crc.update(view);
      await fh.write(view, 0, n);
      written += n;
    }
  } finally {
    await fh.close();
  }
  return crc.toString();
}
