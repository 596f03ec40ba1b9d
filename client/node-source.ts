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
 * upload is abandoned; the size and mtime are taken once, up front.
 */
export async function fileSource(path: string): Promise<UploadSource> {
  let info: Awaited<ReturnType<typeof stat>>;
  try {
    info = await stat(path);
  } catch (e) {
    throw new UploadClientError(null, 'INVALID_OPTIONS', `cannot read ${path}: ${(e as Error).message}`, { path });
  }
  if (!info.isFile()) throw new UploadClientError(null, 'INVALID_OPTIONS', `${path} is not a regular file`, { path });
  const size = info.size;
  return {
    size,
    name: basename(path),
    lastModified: info.mtimeMs,
    async read(start, end) {
      const handle = await open(path, 'r');
      try {
        const buf = new Uint8Array(end - start);
        let off = 0;
        while (off < buf.length) {
          const { bytesRead } = await handle.read(buf, off, buf.length - off, start + off);
          if (bytesRead === 0) {
            throw new UploadClientError(null, 'SOURCE_MISMATCH', `${path} shrank while uploading`, { path });
          }
          off += bytesRead;
        }
        return buf;
      } finally {
        await handle.close();
      }
    },
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
