import { COS_MAX_PART_BYTES, COS_MAX_PARTS } from './cos-limits.ts';
import { uploadTooLarge } from '../errors.ts';
import type { Strategy } from '../ports.ts';
import type { Limits } from './limits.ts';

export interface PlanRequest {
  size?: number;
  maxSize?: number;
  partSize?: number;
}

export interface Plan {
  strategy: Strategy;
  size: number | null;
  maxSize: number;
  partSize: number;
  /** null while the size is unknown. */
  partCount: number | null;
}

type PlanLimits = Pick<
  Limits,
  'maxUploadBytes' | 'maxParts' | 'minPartBytes' | 'defaultPartBytes' | 'singlePutMaxBytes'
>;

const ceilDiv = (a: number, b: number) => Math.ceil(a / b);

/**
 * Chooses single PUT or multipart and the part size. The client's `partSize` is honoured when
 * legal (≥ MIN_PART_BYTES, ≤ 5 GiB, and enough for the object to fit in MAX_PARTS parts);
 * otherwise the server's default, raised as far as needed to fit. Throws UPLOAD_TOO_LARGE when
 * the object cannot be stored within the limits.
 */
export function planUpload(req: PlanRequest, limits: PlanLimits): Plan {
  const maxParts = Math.min(limits.maxParts, COS_MAX_PARTS);
  if (req.size !== undefined) {
    if (req.size > limits.maxUploadBytes) {
      throw uploadTooLarge(`size ${req.size} exceeds the limit of ${limits.maxUploadBytes} bytes`, {
        limit: limits.maxUploadBytes,
      });
    }
    if (req.size <= limits.singlePutMaxBytes) {
      return { strategy: 'single', size: req.size, maxSize: req.size, partSize: req.size, partCount: 1 };
    }
    const partSize = choosePartSize(req.size, req.partSize, maxParts, limits);
    return {
      strategy: 'multipart',
      size: req.size,
      maxSize: req.size,
      partSize,
      partCount: ceilDiv(req.size, partSize),
    };
  }
  const maxSize = req.maxSize ?? limits.maxUploadBytes;
  if (maxSize > limits.maxUploadBytes) {
    throw uploadTooLarge(`maxSize ${maxSize} exceeds the limit of ${limits.maxUploadBytes} bytes`, {
      limit: limits.maxUploadBytes,
    });
  }
  const partSize = choosePartSize(maxSize, req.partSize, maxParts, limits);
  return { strategy: 'multipart', size: null, maxSize, partSize, partCount: null };
}

function choosePartSize(bytes: number, wish: number | undefined, maxParts: number, limits: PlanLimits): number {
  const needed = Math.max(limits.minPartBytes, ceilDiv(bytes, maxParts));
  if (needed > COS_MAX_PART_BYTES) {
    throw uploadTooLarge(`${bytes} bytes do not fit in ${maxParts} parts of at most 5 GiB`, { maxParts });
  }
  const legal = (n: number | undefined): n is number => n !== undefined && n >= needed && n <= COS_MAX_PART_BYTES;
  if (legal(wish)) return wish;
  return Math.min(Math.max(limits.defaultPartBytes, needed), COS_MAX_PART_BYTES);
}

/** Highest part number the plan allows (for unknown size: what maxSize permits). */
export const maxPartNumber = (p: Pick<Plan, 'partCount' | 'maxSize' | 'partSize'>): number =>
  p.partCount ?? Math.max(1, ceilDiv(p.maxSize, p.partSize));

/** The exact byte length of part n (the last part may be smaller). Null when not yet known. */
export function partLength(p: Pick<Plan, 'size' | 'partSize' | 'partCount'>, n: number): number | null {
  if (p.size === null || p.partCount === null) return null;
  return n < p.partCount ? p.partSize : p.size - (p.partCount - 1) * p.partSize;
}

/** APPEND Object's ceiling: an appendable object may not pass 5 GB (436/7741). */
export const APPEND_MAX_BYTES = 5 * 1024 ** 3;

/**
 * An append session: no size, `maxSize` (default MAX_UPLOAD_BYTES, at most 5 GiB) bounds it. The
 * part size is the server's (the client sends pieces of any size): it is how much the completion
 * worker relays per part when sealing, so the client's wish is not taken.
 */
export function planAppend(req: { maxSize?: number }, limits: PlanLimits): Plan {
  const ceiling = Math.min(limits.maxUploadBytes, APPEND_MAX_BYTES);
  const maxSize = req.maxSize ?? ceiling;
  if (maxSize > ceiling) {
    throw uploadTooLarge(`maxSize ${maxSize} exceeds the append limit of ${ceiling} bytes`, { limit: ceiling });
  }
  const plan = planUpload({ maxSize }, limits);
  return { ...plan, strategy: 'append' };
}
