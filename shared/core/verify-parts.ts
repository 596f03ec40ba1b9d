import type { PartsInvalidDetails } from '../errors.ts';
import type { PartRecord, StoredPart, UploadRecord } from '../ports.ts';
import { combineParts } from './crc64.ts';

/** ETags compare without quotes and case: COS answers `"abc"`, clients may record `abc`. */
export const normalizeEtag = (etag: string): string =>
  etag
    .trim()
    .replace(/^"+|"+$/g, '')
    .toLowerCase();
export const quoteEtag = (etag: string): string => `"${normalizeEtag(etag)}"`;

export interface VerifyInput {
  /** Known size, or null: then parts 1..max(stored) define it and it must stay within maxSize. */
  size: number | null;
  maxSize: number;
  partSize: number;
  ledger: readonly PartRecord[];
  stored: readonly StoredPart[];
  /** The declared whole-file CRC64 (decimal), if any. */
  crc64: string | null;
}

export interface Verified {
  size: number;
  partCount: number;
  /** What COS Complete receives: parts 1..N with the ETags COS holds. */
  parts: { partNumber: number; etag: string }[];
  /** The CRC64 the assembled object must have, when it can be known (declared or all parts' CRCs recorded). */
  expectedCrc64: string | null;
}

/**
 * Checks the ledger against what COS holds before anything is completed: parts 1..N present in
 * both, ETags equal, every part but the last exactly `partSize`, the total equal to the size,
 * and the recorded part CRCs combining to the declared file CRC. Returns the details of every
 * problem at once so a client can fix them in one round.
 */
export function verifyParts(
  input: VerifyInput,
): { ok: true; value: Verified } | { ok: false; details: PartsInvalidDetails } {
  const stored = new Map(input.stored.map((p) => [p.partNumber, p]));
  const ledger = new Map(input.ledger.map((p) => [p.partNumber, p]));
  const size = input.size ?? inferSize(input.stored, input.partSize);
  const partCount = size === 0 ? 1 : Math.ceil(size / input.partSize);
  const details: PartsInvalidDetails = { missing: [], wrongSize: [], etagMismatch: [] };

  for (let n = 1; n <= partCount; n++) {
    const s = stored.get(n);
    const l = ledger.get(n);
    if (!s || !l) {
      details.missing.push(n);
      continue;
    }
    const expected = n < partCount ? input.partSize : size - (partCount - 1) * input.partSize;
    if (s.size !== expected) details.wrongSize.push({ partNumber: n, expected, actual: s.size });
    if (normalizeEtag(s.etag) !== normalizeEtag(l.etag)) {
      details.etagMismatch.push({ partNumber: n, recorded: quoteEtag(l.etag), stored: quoteEtag(s.etag) });
    }
  }

  let expectedCrc64 = input.crc64;
  const parts = Array.from({ length: partCount }, (_, i) => ledger.get(i + 1));
  if (parts.every((p) => p?.crc64)) {
    const combined = combineParts(
      parts.map((p, i) => ({ crc64: p!.crc64!, size: stored.get(i + 1)?.size ?? p!.size ?? 0 })),
    );
    if (input.crc64 !== null && combined !== input.crc64)
      details.crc64Mismatch = { expected: input.crc64, actual: combined };
    expectedCrc64 ??= combined;
  }

  const bad =
    details.missing.length + details.wrongSize.length + details.etagMismatch.length > 0 || details.crc64Mismatch;
  if (input.size === null && size > input.maxSize) {
    details.wrongSize.push({ partNumber: partCount, expected: input.maxSize, actual: size });
    return { ok: false, details };
  }
  if (bad) return { ok: false, details };
  return {
    ok: true,
    value: {
      size,
      partCount,
      parts: Array.from({ length: partCount }, (_, i) => ({
        partNumber: i + 1,
        etag: quoteEtag(stored.get(i + 1)!.etag),
      })),
      expectedCrc64,
    },
  };
}

/** verifyParts for an upload record: its plan and declared CRC against the ledger and COS's parts. */
export const verifyUploadParts = (
  upload: Pick<UploadRecord, 'size' | 'maxSize' | 'partSize' | 'crc64'>,
  ledger: readonly PartRecord[],
  stored: readonly StoredPart[],
) =>
  verifyParts({
    size: upload.size,
    maxSize: upload.maxSize,
    partSize: upload.partSize,
    crc64: upload.crc64,
    ledger,
    stored,
  });

/** Unknown size: the highest stored part is the last; earlier parts are full by the plan. */
function inferSize(stored: readonly StoredPart[], partSize: number): number {
  if (stored.length === 0) return 0;
  const last = stored.reduce((a, b) => (b.partNumber > a.partNumber ? b : a));
  return (last.partNumber - 1) * partSize + last.size;
}
