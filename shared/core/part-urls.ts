import { uploadNotOpen, uploadTooLarge, validationFailed } from '../errors.ts';
import type { PresignedRequest, UploadRecord } from '../ports.ts';
import type { CoreDeps } from './deps.ts';
import { afterLostWrite, lostRace } from './lost-race.ts';
import { assertOpen } from './owned-upload.ts';
import { effectiveState } from './upload-view.ts';
import { maxPartNumber, partLength } from './plan.ts';

/** Whole seconds until the upload's `expiresAt` (0 or less once it is past): no URL or key may outlive it. */
export const secondsLeft = (upload: Pick<UploadRecord, 'expiresAt'>, now: Date): number =>
  Math.floor((Date.parse(upload.expiresAt) - now.getTime()) / 1000);

export interface PartUrlsInput {
  partNumbers: number[];
  finalPartSize?: number;
}

export interface PartUrl extends PresignedRequest {
  partNumber: number;
  method: 'PUT';
}

/**
 * Presigns one Upload Part PUT per requested part, each binding the part's exact length, so COS
 * itself refuses any other size. For an upload of
 * unknown size, `finalPartSize` fixes the size: the highest number asked for becomes the last part.
 */
export async function partUrls(deps: CoreDeps, upload: UploadRecord, input: PartUrlsInput): Promise<PartUrl[]> {
  const now = deps.clock.now();
  assertOpen(upload, now);
  const plan = await fixSizeIfFinal(deps, upload, input, now);

  const urls = signPartUrls(deps, upload, plan, input.partNumbers, now);

  // Asking for URLs is activity: a client still fetching URLs is not stale.
  if (!plan.touched && !(await deps.store.touch(upload.id, now.toISOString()))) await lostRace(deps, upload.id);
  return urls;
}

/**
 * The URLs themselves, for an open upload under `plan` (its size may just have been fixed): each
 * binds its part's exact length and none outlives the upload. No write: the caller counts the
 * activity (part-urls touches the upload; create, which calls this for `presign`, just stamped it).
 */
export function signPartUrls(
  deps: Pick<CoreDeps, 'storage' | 'limits'>,
  upload: UploadRecord,
  plan: Pick<EffectivePlan, 'size' | 'partSize' | 'partCount' | 'maxSize'>,
  partNumbers: readonly number[],
  now: Date,
): PartUrl[] {
  const limit = maxPartNumber(plan);
  const outOfPlan = partNumbers.filter((n) => n > limit);
  if (outOfPlan.length > 0) {
    throw validationFailed(
      outOfPlan
        .slice(0, 20)
        .map((n) => ({ path: ['partNumbers'], message: `part ${n} is beyond the plan's ${limit} parts` })),
    );
  }

  // Single uploads too: part 1 of a one-part multipart upload, which can carry no object header.
  if (!upload.cosUploadId)
    throw uploadNotOpen(upload.state, 'this upload predates part URLs for single PUTs: create it again');
  // No URL outlives its upload: an upload with less than a second left is not open any more.
  const expires = Math.min(deps.limits.urlExpiresSeconds, secondsLeft(upload, now));
  if (expires < 1) throw uploadNotOpen('expired', 'upload expires in less than a second');
  const lengths = partNumbers.map((n) => partLength(plan, n) ?? plan.partSize);
  const signed = deps.storage.presignUploadParts(
    upload.key,
    upload.cosUploadId,
    partNumbers.map((partNumber, i) => ({ partNumber, contentLength: lengths[i]! })),
    now,
    expires,
  );
  return signed.map((s, i): PartUrl => ({ partNumber: partNumbers[i]!, ...s, method: 'PUT' }));
}

interface EffectivePlan {
  size: number | null;
  partSize: number;
  partCount: number | null;
  maxSize: number;
  touched: boolean;
}

async function fixSizeIfFinal(
  deps: CoreDeps,
  upload: UploadRecord,
  input: PartUrlsInput,
  now: Date,
): Promise<EffectivePlan> {
  const base = {
    size: upload.size,
    partSize: upload.partSize,
    partCount: upload.partCount,
    maxSize: upload.maxSize,
    touched: false,
  };
  if (input.finalPartSize === undefined) return base;
  const last = Math.max(...input.partNumbers);
  if (input.finalPartSize > upload.partSize || (input.finalPartSize === 0 && last > 1)) {
    throw validationFailed([{ path: ['finalPartSize'], message: `must be 1..${upload.partSize} (the part size)` }]);
  }
  const size = (last - 1) * upload.partSize + input.finalPartSize;
  if (upload.size !== null) {
    // Already fixed: the same answer again is fine (a retry), a different one is a client bug.
    if (upload.size === size) return base;
    throw validationFailed([{ path: ['finalPartSize'], message: `size is already fixed at ${upload.size}` }]);
  }
  if (size > upload.maxSize)
    throw uploadTooLarge(`size ${size} exceeds maxSize ${upload.maxSize}`, { maxSize: upload.maxSize });
  if (!(await deps.store.touch(upload.id, now.toISOString(), { size, partCount: last }))) {
    // Lost: either the upload closed (409, as any lost race), or another call fixed another size.
    const current = await afterLostWrite(deps, upload.id);
    if (effectiveState(current, now) !== 'open') await lostRace(deps, upload.id);
    throw validationFailed([{ path: ['finalPartSize'], message: `size was fixed concurrently at ${current.size}` }]);
  }
  return { ...base, size, partCount: last, touched: true };
}
