/**
 * Node-only entry: upload from a file path. Kept apart from `upload.ts` so the browser and React
 * Native bundles never pull in `node:fs`.
 */
import { open, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { UploadClientError } from './errors.ts';
import type { UploadSource } from './sources.ts';
import type { Upload, UploadOptions } from './types.ts';
import { createUpload, type UploadTask } from './upload-task.ts';

/**
 * A source reading a file by position. Each read opens the file, so no descriptor leaks when an
 * upload is abandoned; the size and mtime are taken once, up front. It reads into buffers the
 * client hands it (`readInto`), so an upload reuses a few part buffers rather than allocating one
 * per part.
 */
export async function fileSource(path: string): Promise<UploadSource> {
  let info: Awaited<ReturnType<typeof stat>>;
  try {
    info = await stat(path);
  } catch (e) {
    throw new UploadClientError(null, 'INVALID_OPTIONS', `cannot read ${path}: ${(e as Error).message}`, { path });
  }
  if (!info.isFile()) throw new UploadClientError(null, 'INVALID_OPTIONS', `${path} is not a regular file`, { path });
  const readInto = async (start: number, end: number, target: Uint8Array): Promise<void> => {
    if (target.byteLength !== end - start) {
      throw new UploadClientError(
        null,
        'INVALID_OPTIONS',
        `readInto: target holds ${target.byteLength} bytes, not ${end - start}`,
      );
    }
    const handle = await open(path, 'r');
    try {
      let off = 0;
      while (off < target.byteLength) {
        const { bytesRead } = await handle.read(target, off, target.byteLength - off, start + off);
        if (bytesRead === 0) {
          throw new UploadClientError(null, 'SOURCE_MISMATCH', `${path} shrank while uploading`, { path });
        }
        off += bytesRead;
      }
    } finally {
      await handle.close();
    }
  };
  return {
    size: info.size,
    name: basename(path),
    lastModified: info.mtimeMs,
    async read(start, end) {
      const buf = new Uint8Array(end - start);
      await readInto(start, end, buf);
      return buf;
    },
    readInto,
  };
}

/** Starts uploading the file at `path`; see {@link createUpload}. */
export async function createFileUpload(path: string, options: UploadOptions): Promise<UploadTask> {
  return createUpload(await fileSource(path), options);
}

/** Uploads the file at `path` and resolves with the completed upload; see `upload()`. */
export async function uploadFile(path: string, options: UploadOptions): Promise<Upload> {
  return (await createFileUpload(path, options)).done;
}
