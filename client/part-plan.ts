import { UploadClientError } from './errors.ts';
import type { Upload } from './types.ts';

/** One part's byte range in the source. */
export interface PartRange {
  partNumber: number;
  start: number;
  end: number;
}

/**
 * The parts of an upload as the server planned them. `single` is always one part of the whole
 * size (even an empty file); multipart splits by `partSize`, the last part takes the rest.
 */
export function partRanges(upload: Upload): PartRange[] {
  const size = upload.size;
  if (size === null) {
    throw new UploadClientError(null, 'INVALID_RESPONSE', 'the upload has no size; the client always declares one');
  }
  if (upload.strategy === 'single') return [{ partNumber: 1, start: 0, end: size }];
  const partSize = upload.partSize;
  if (!(partSize > 0)) throw new UploadClientError(null, 'INVALID_RESPONSE', `bad partSize ${partSize}`);
  const count = upload.partCount ?? Math.ceil(size / partSize);
  if (count * partSize < size || (count > 0 && (count - 1) * partSize >= size && size > 0)) {
    throw new UploadClientError(
      null,
      'INVALID_RESPONSE',
      `part plan ${count}×${partSize} does not cover ${size} bytes`,
    );
  }
  const ranges: PartRange[] = [];
  for (let n = 1; n <= count; n++) {
    const start = (n - 1) * partSize;
    ranges.push({ partNumber: n, start, end: Math.min(start + partSize, size) });
  }
  return ranges;
}
