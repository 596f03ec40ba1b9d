import { Crc64, combineParts } from '../shared/core/crc64.ts';
import type { ApiClient, CreateUploadBody } from './api-client.ts';
import { throwIfStopped, UploadClientError } from './errors.ts';
import { objectFields } from './object-headers.ts';
import { type PartRange, partRanges } from './part-plan.ts';
import type { UploadSource } from './sources.ts';
import type { PartUrl, RecordedPart, Upload, UploadOptions } from './types.ts';

/** Where one planned part stands before this run. */
export interface PartSlot extends PartRange {
  /** The ledger's record, when the server has one for this number and the right size. */
  recorded: RecordedPart | null;
  /** Set once the part is known to be in COS with our bytes. */
  done: { etag: string; crc64: string } | null;
}

/** An open upload session and the state of each of its planned parts. */
export interface Session {
  upload: Upload;
  slots: PartSlot[];
}

const READ_CHUNK = 8 * 1024 * 1024;

/** CRC64 of the whole source, reading it in chunks (only with `declareCrc64`). */
export async function sourceCrc64(source: UploadSource, signal?: AbortSignal): Promise<string> {
  const crc = new Crc64();
  for (let at = 0; at < source.size; at += READ_CHUNK) {
    throwIfStopped(signal);
    crc.update(await source.read(at, Math.min(at + READ_CHUNK, source.size)));
  }
  return crc.toString();
}

/** A session just created, with the part URLs its create answer carried (`presign`). */
export interface NewSession extends Session {
  /** Presigned PUTs for the first parts (part 1, or none): no part-urls call is needed for them. */
  urls: PartUrl[];
}

/** What creates a session: the API itself, or a lane that batches the creates of several files. */
export type SessionCreator = Pick<ApiClient, 'createWithUrls'>;

/**
 * How many part URLs to ask create for: part 1's, unless the file is empty (born completed) or the
 * URLs must bind what create cannot sign (a part's Content-MD5, only known once the part is read;
 * the traffic limit, which only part-urls takes).
 */
export function presignCount(size: number, options: Pick<UploadOptions, 'md5' | 'trafficLimit'>): number {
  return size > 0 && options.md5 !== true && options.trafficLimit === undefined ? 1 : 0;
}

/** The body of `POST /v1/uploads` for `source` with these options. */
async function createBody(
  source: UploadSource,
  options: UploadOptions,
  signal?: AbortSignal,
): Promise<CreateUploadBody> {
  const presign = presignCount(source.size, options);
  return {
    fileName: options.fileName ?? source.name ?? 'upload.bin',
    size: source.size,
    contentType: options.contentType ?? source.type ?? 'application/octet-stream',
    ...(options.metadata ? { metadata: options.metadata } : {}),
    ...(options.partSize ? { partSize: options.partSize } : {}),
    ...(options.declareCrc64 ? { crc64: await sourceCrc64(source, signal) } : {}),
    ...objectFields(options),
    ...(presign > 0 ? { presign } : {}),
  };
}

/**
 * Creates a new upload session for `source`. Part 1's URL comes with it when it can
 * ({@link presignCount}), so a small file costs create, one PUT and complete.
 */
export async function createSession(
  creator: SessionCreator,
  source: UploadSource,
  options: UploadOptions,
  signal?: AbortSignal,
): Promise<NewSession> {
  const { upload, urls } = await creator.createWithUrls(await createBody(source, options, signal), signal);
  checkSize(upload, source);
  return { upload, slots: partRanges(upload).map((r) => ({ ...r, recorded: null, done: null })), urls: urls ?? [] };
}

/**
 * Reopens an existing session. Recorded parts are only candidates: each is re-read and its CRC64
 * compared with the ledger's before it is skipped (see the task), because the local file may have
 * changed since. A record without a CRC or with the wrong size is re-sent.
 */
export async function resumeSession(
  api: ApiClient,
  id: string,
  source: UploadSource,
  signal?: AbortSignal,
): Promise<Session> {
  const { upload, parts } = await api.get(id, signal);
  checkSize(upload, source);
  if (upload.state === 'aborted' || upload.state === 'expired') {
    throw new UploadClientError(409, 'UPLOAD_NOT_OPEN', `upload ${id} is ${upload.state}; start a new one`, {
      state: upload.state,
    });
  }
  const byNumber = new Map(parts.map((p) => [p.partNumber, p]));
  const slots = partRanges(upload).map((r): PartSlot => {
    const rec = byNumber.get(r.partNumber) ?? null;
    const usable = rec !== null && rec.crc64 != null && (rec.size == null || rec.size === r.end - r.start);
    return { ...r, recorded: usable ? rec : null, done: null };
  });
  return { upload, slots };
}

function checkSize(upload: Upload, source: UploadSource): void {
  if (upload.size !== source.size) {
    throw new UploadClientError(
      null,
      'SOURCE_MISMATCH',
      `upload ${upload.id} is for ${upload.size} bytes but the source has ${source.size}`,
      { uploadSize: upload.size, sourceSize: source.size },
    );
  }
}

/**
 * Part numbers a PARTS_INVALID refusal names, so they can be sent again. A `crc64Mismatch` names
 * them all: the server deleted the object and replaced the COS upload, so nothing is stored.
 */
export function partsToRepair(details: Record<string, unknown>, partCount: number): number[] {
  if (details.crc64Mismatch != null) return Array.from({ length: partCount }, (_, i) => i + 1);
  const out = new Set<number>();
  const add = (v: unknown) => {
    if (typeof v === 'number' && Number.isInteger(v)) out.add(v);
  };
  if (Array.isArray(details.missing)) details.missing.forEach(add);
  for (const key of ['wrongSize', 'etagMismatch']) {
    const list = details[key];
    if (Array.isArray(list)) for (const item of list) add((item as { partNumber?: unknown } | null)?.partNumber);
  }
  return [...out].sort((a, b) => a - b);
}

/** The completed object must hash to the parts we read; COS combines the part CRCs the same way. */
export function verifyCompletedCrc(session: Session): void {
  const actual = session.upload.crc64;
  if (!actual || session.slots.some((s) => !s.done)) return;
  const expected = combineParts(session.slots.map((s) => ({ crc64: s.done!.crc64, size: s.end - s.start })));
  if (expected !== actual) {
    throw new UploadClientError(null, 'CRC64_MISMATCH', 'the completed object does not match the local bytes', {
      expected,
      actual,
      uploadId: session.upload.id,
    });
  }
}
