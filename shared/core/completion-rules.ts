import { type ErrorCode, isUploadError, UploadError } from '../errors.ts';
import type { PartRecord, StoredError, StoredPart, UploadRecord } from '../ports.ts';
import { combineParts } from './crc64.ts';
import { partLength } from './plan.ts';

/** The empty PARTS_INVALID details, for refusals that are about the whole object. */
export const NO_PROBLEMS = { missing: [] as number[], wrongSize: [], etagMismatch: [] };

/**
 * The parts complete checks. A single upload's client PUTs once and completes with no body, so when
 * nothing was recorded, COS's own List Parts stands in for the ledger (docs/API.md, "Single uploads").
 */
export function ledgerFor(
  u: Pick<UploadRecord, 'strategy'>,
  ledger: readonly PartRecord[],
  stored: readonly StoredPart[],
): readonly PartRecord[] {
  if (u.strategy !== 'single' || ledger.length > 0) return ledger;
  return stored.map((p) => ({ partNumber: p.partNumber, etag: p.etag, size: p.size, crc64: null }));
}

/**
 * The CRC64 the assembled object must have, from the record alone (no List Parts: after a merge COS
 * has none): the declared one, else every recorded part's combined. null when neither is known.
 */
export function expectedObjectCrc64(
  u: Pick<UploadRecord, 'crc64' | 'size' | 'partSize' | 'partCount'>,
  ledger: readonly PartRecord[],
): string | null {
  if (u.crc64) return u.crc64;
  if (u.size === null || u.partCount === null) return null;
  const byNumber = new Map(ledger.map((p) => [p.partNumber, p]));
  const parts: { crc64: string; size: number }[] = [];
  for (let n = 1; n <= u.partCount; n++) {
    const crc64 = byNumber.get(n)?.crc64;
    const size = partLength(u, n);
    if (!crc64 || size === null) return null;
    parts.push({ crc64, size });
  }
  return combineParts(parts);
}

/** An error as `lastError` keeps it: the contract body's fields; a bug shows only as INTERNAL. */
export function storedError(e: unknown): StoredError {
  if (isUploadError(e)) return { code: e.code, message: e.message, details: e.status < 500 ? e.details : {} };
  return { code: 'INTERNAL', message: 'the completion worker failed unexpectedly', details: {} };
}

/** What a client waiting on complete gets when the background step failed: the same error, 409. */
export const errorFromStored = (e: StoredError): UploadError =>
  new UploadError(409, e.code as ErrorCode, e.message, e.details);
