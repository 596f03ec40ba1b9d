import { uploadTooLarge, validationFailed } from '../errors.ts';
import { COS_MAX_PART_BYTES, COS_MAX_PARTS } from './cos-limits.ts';
import type { Limits } from './limits.ts';

/**
 * The part plan of a compose: each source range (inclusive bytes) becomes one Upload Part - Copy,
 * or several when it is over 5 GiB (COS's largest part, 436/8287). Pure: the route checks the plan
 * before anything exists, and the completion worker derives the same parts from the stored sources.
 */

/** COS's smallest part but the last (436/7742 Complete: EntityTooSmall; 436/8287: parts of 1 MB to 5 GB). */
export const COS_MIN_PART_BYTES = 1024 * 1024;

export interface ComposeRange {
  start: number;
  end: number;
}

export interface PlannedCopy {
  partNumber: number;
  /** Index of the source range it copies from. */
  source: number;
  start: number;
  end: number;
}

export interface ComposePlan {
  parts: PlannedCopy[];
  size: number;
  /** The largest part (what the upload object shows as `partSize`). */
  partSize: number;
}

type ComposeLimits = Pick<Limits, 'maxUploadBytes' | 'maxParts'>;

/**
 * Refuses (400 VALIDATION_FAILED, path `sources.<i>`) a source under 1 MiB that is not the last —
 * COS would refuse the Complete — and (413 UPLOAD_TOO_LARGE) a total over MAX_UPLOAD_BYTES or more
 * parts than MAX_PARTS. A range over 5 GiB is cut into the fewest parts of near-equal size, each
 * then well over 1 MiB.
 */
export function planCompose(ranges: readonly ComposeRange[], limits: ComposeLimits): ComposePlan {
  const small = ranges.flatMap((r, i) =>
    i < ranges.length - 1 && r.end - r.start + 1 < COS_MIN_PART_BYTES
      ? [
          {
            path: ['sources', i],
            message: `source ${i} is ${r.end - r.start + 1} bytes: every source but the last must be at least ${COS_MIN_PART_BYTES} bytes`,
          },
        ]
      : [],
  );
  if (small.length > 0) throw validationFailed(small.slice(0, 20));
  const parts: PlannedCopy[] = [];
  let size = 0;
  let partSize = 0;
  const maxParts = Math.min(limits.maxParts, COS_MAX_PARTS);
  for (const [i, r] of ranges.entries()) {
    const length = r.end - r.start + 1;
    size += length;
    const pieces = Math.ceil(length / COS_MAX_PART_BYTES);
    const base = Math.floor(length / pieces);
    let start = r.start;
    for (let k = 0; k < pieces; k++) {
      // The first `length % pieces` pieces take one byte more, so the pieces cover the range exactly.
      const n = base + (k < length % pieces ? 1 : 0);
      parts.push({ partNumber: parts.length + 1, source: i, start, end: start + n - 1 });
      partSize = Math.max(partSize, n);
      start += n;
    }
    if (parts.length > maxParts) {
      throw uploadTooLarge(`the sources need more than ${maxParts} parts`, { maxParts });
    }
  }
  if (size > limits.maxUploadBytes) {
    throw uploadTooLarge(`the composed object would be ${size} bytes, over the limit of ${limits.maxUploadBytes}`, {
      limit: limits.maxUploadBytes,
    });
  }
  return { parts, size, partSize };
}
