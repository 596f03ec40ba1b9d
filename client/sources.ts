import { UploadClientError } from './errors.ts';

/**
 * Random-access bytes to upload. Parts are read on demand, so a multi-gigabyte file never sits in
 * memory: at most `concurrency` parts do. Implement it to upload from anything else.
 */
export interface UploadSource {
  /** Bytes in the source; fixed for the upload's life (a resume checks it against the server's). */
  readonly size: number;
  /** Suggested object file name. */
  readonly name?: string;
  /** Suggested content type. */
  readonly type?: string;
  /** Milliseconds since the epoch, for recognising the same file later. */
  readonly lastModified?: number;
  /** Bytes [start, end). */
  read(start: number, end: number): Promise<Uint8Array>;
  /**
   * Optional: fills `target` (exactly `end - start` long) with bytes [start, end). When present,
   * the client reads parts into buffers it reuses instead of a new one per part; it never
   * touches `target` again until the part is sent or given up.
   */
  readInto?(start: number, end: number, target: Uint8Array): Promise<void>;
}

/** What {@link upload} accepts: a Blob/File, bytes, or any {@link UploadSource}. */
export type UploadInput = Blob | Uint8Array | ArrayBuffer | UploadSource;

/** Wraps a Blob or File; works in browsers, Node ≥ 20 and React Native. */
export function blobSource(blob: Blob): UploadSource {
  const file = blob as Blob & { name?: unknown; lastModified?: unknown };
  return {
    size: blob.size,
    name: typeof file.name === 'string' ? file.name : undefined,
    type: blob.type || undefined,
    lastModified: typeof file.lastModified === 'number' ? file.lastModified : undefined,
    read: async (start, end) => new Uint8Array(await blobBytes(blob.slice(start, end))),
  };
}

/** Wraps bytes already in memory; parts are zero-copy views. */
export function bytesSource(bytes: Uint8Array | ArrayBuffer): UploadSource {
  const view = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  return { size: view.byteLength, read: async (start, end) => view.subarray(start, end) };
}

/** Normalises any accepted input; throws INVALID_OPTIONS for anything else. */
export function toSource(input: UploadInput): UploadSource {
  if (input instanceof Uint8Array || input instanceof ArrayBuffer) return bytesSource(input);
  if (typeof Blob !== 'undefined' && input instanceof Blob) return blobSource(input);
  if (isUploadSource(input)) return input;
  throw new UploadClientError(null, 'INVALID_OPTIONS', 'source must be a Blob/File, a Uint8Array or an UploadSource');
}

function isUploadSource(x: unknown): x is UploadSource {
  if (typeof x !== 'object' || x === null) return false;
  const s = x as { size?: unknown; read?: unknown };
  return typeof s.size === 'number' && Number.isSafeInteger(s.size) && s.size >= 0 && typeof s.read === 'function';
}

/** React Native's Blob has no arrayBuffer(); FileReader is the portable fallback. */
function blobBytes(blob: Blob): Promise<ArrayBuffer> {
  if (typeof blob.arrayBuffer === 'function') return blob.arrayBuffer();
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(reader.result as ArrayBuffer);
    reader.onerror = () => reject(reader.error ?? new Error('FileReader failed'));
    reader.readAsArrayBuffer(blob);
  });
}
