import { validationFailed } from '../errors.ts';
import { lostRace } from './lost-race.ts';
import type { PartRecord, UploadRecord } from '../ports.ts';
import type { StoreDeps } from './deps.ts';
import { assertOpen, assertTakesParts } from './owned-upload.ts';
import { maxPartNumber } from './plan.ts';
import { quoteEtag } from './verify-parts.ts';

export interface PartInput {
  partNumber: number;
  etag: string;
  size?: number;
  crc64?: string;
}

/** Records part ETags in the ledger; the same part number again replaces it (a re-uploaded part). */
export async function recordParts(deps: StoreDeps, upload: UploadRecord, parts: readonly PartInput[]): Promise<number> {
  const now = deps.clock.now();
  assertOpen(upload, now);
  assertTakesParts(upload);
  const limit = maxPartNumber(upload);
  const beyond = parts.map((p, i) => ({ p, i })).filter(({ p }) => p.partNumber > limit);
  if (beyond.length > 0) {
    throw validationFailed(
      beyond.slice(0, 20).map(({ p, i }) => ({
        path: ['parts', i, 'partNumber'],
        message: `part ${p.partNumber} is beyond the plan's ${limit} parts`,
      })),
    );
  }
  // Within one request the last entry for a number wins, as it would across requests.
  const byNumber = new Map<number, PartRecord>();
  for (const p of parts) {
    byNumber.set(p.partNumber, {
      partNumber: p.partNumber,
      etag: quoteEtag(p.etag),
      size: p.size ?? null,
      crc64: p.crc64 ?? null,
    });
  }
  const records = [...byNumber.values()].sort((a, b) => a.partNumber - b.partNumber);
  if (!(await deps.store.putParts(upload.id, records, now.toISOString()))) await lostRace(deps, upload.id);
  return records.length;
}
