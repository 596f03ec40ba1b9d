import { crc32, inflateRawSync } from 'node:zlib';

export interface UnzippedEntry {
  name: string;
  data: Buffer;
  /** Unix permission bits from the central directory (0 when the archive was made elsewhere). */
  mode: number;
}

/**
 * A strict reader for the archives build/zip.ts writes, kept independent of it: it walks the
 * central directory from the end record, cross-checks every local header, inflates, and verifies
 * sizes and CRC-32 — so a malformed artifact fails here rather than at Lambda's upload.
 */
export function unzip(archive: Buffer): UnzippedEntry[] {
  const eocd = archive.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  if (eocd < 0 || eocd + 22 > archive.length) throw new Error('unzip: no end-of-central-directory record');
  const count = archive.readUInt16LE(eocd + 10);
  const cdSize = archive.readUInt32LE(eocd + 12);
  let at = archive.readUInt32LE(eocd + 16);
  if (at + cdSize !== eocd) throw new Error('unzip: central directory does not end at the end record');
  const entries: UnzippedEntry[] = [];
  for (let i = 0; i < count; i++) {
    if (archive.readUInt32LE(at) !== 0x02014b50) throw new Error(`unzip: bad central header #${i}`);
    const method = archive.readUInt16LE(at + 10);
    const crc = archive.readUInt32LE(at + 16);
    const compressed = archive.readUInt32LE(at + 20);
    const size = archive.readUInt32LE(at + 24);
    const nameLen = archive.readUInt16LE(at + 28);
    const extraLen = archive.readUInt16LE(at + 30);
    const commentLen = archive.readUInt16LE(at + 32);
    const mode = (archive.readUInt32LE(at + 38) >>> 16) & 0o777;
    const local = archive.readUInt32LE(at + 42);
    const name = archive.toString('utf8', at + 46, at + 46 + nameLen);
    at += 46 + nameLen + extraLen + commentLen;

    if (archive.readUInt32LE(local) !== 0x04034b50) throw new Error(`unzip: bad local header for ${name}`);
    const localNameLen = archive.readUInt16LE(local + 26);
    const localExtraLen = archive.readUInt16LE(local + 28);
    if (archive.toString('utf8', local + 30, local + 30 + localNameLen) !== name) {
      throw new Error(`unzip: local and central names differ for ${name}`);
    }
    const start = local + 30 + localNameLen + localExtraLen;
    const body = archive.subarray(start, start + compressed);
    let data: Buffer;
    if (method === 0) data = Buffer.from(body);
    else if (method === 8) data = inflateRawSync(body);
    else throw new Error(`unzip: unsupported method ${method} for ${name}`);
    if (data.length !== size) throw new Error(`unzip: ${name} inflated to ${data.length} bytes, header says ${size}`);
    if (crc32(data) !== crc) throw new Error(`unzip: CRC mismatch for ${name}`);
    entries.push({ name, data, mode });
  }
  return entries;
}
