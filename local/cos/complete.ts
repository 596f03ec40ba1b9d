import { createHash, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { CONTENT_MD5 } from '../../shared/core/cos-limits.ts';
import { combineParts } from '../../shared/core/crc64.ts';
import { type EmulatorContext, MIN_PART_BYTES, type RequestInfo } from './context.ts';
import { CosError, malformedXml } from './cos-error.ts';
import type { Committed, CompletionOutcome } from './merges.ts';
import type { PartRow, UploadRow } from './meta-store.ts';
import { uploadFor } from './multipart.ts';
import { checkForbidOverwrite } from './objects.ts';
import { header } from './request.ts';
import { newTraceId, readSmallBody } from './respond.ts';
import { el, errorXml, wrap } from './xml.ts';

/**
 * Complete Multipart Upload as COS does it: validate (4xx before anything is sent), then answer
 * 200 at once with a chunked body, keep the connection alive with whitespace while the object is
 * committed, then write the result XML — or, for a late failure, an <Error> in that 200 (436/7742).
 * A `slowMerge` fault stretches the merge; what other requests see meanwhile is in merges.ts.
 */

const parser = new XMLParser({ ignoreAttributes: true, parseTagValue: false, isArray: (name) => name === 'Part' });
/** 10,000 parts of ~80 bytes of XML each, with room to spare. */
const MAX_BODY = 2 * 1024 * 1024;
const KEEPALIVE_MS = 500;

interface Listed {
  partNumber: number;
  etag: string;
}

function parseBody(body: Buffer): Listed[] {
  const text = body.toString('utf8');
  if (XMLValidator.validate(text) !== true) throw malformedXml();
  const doc = parser.parse(text) as { CompleteMultipartUpload?: { Part?: unknown } };
  const parts = doc.CompleteMultipartUpload?.Part;
  if (!Array.isArray(parts) || parts.length === 0) throw malformedXml('You must specify at least one part.');
  return parts.map((p: unknown) => {
    const r = (typeof p === 'object' && p !== null ? p : {}) as Record<string, unknown>;
    const pn = typeof r.PartNumber === 'string' ? r.PartNumber.trim() : '';
    if (!/^\d+$/.test(pn) || typeof r.ETag !== 'string')
      throw malformedXml('Each Part needs a PartNumber and an ETag.');
    return { partNumber: Number(pn), etag: r.ETag };
  });
}

const LATE_MESSAGES = {
  NoSuchUpload: 'The specified multipart upload does not exist.',
  InvalidPart: 'One or more of the specified parts was uploaded again while the upload was being completed.',
} as const;

const bareEtag = (e: string): string => e.trim().replace(/^"|"$/g, '').toLowerCase();

/** InvalidPartOrder, InvalidPart, EntityTooSmall: the checks COS makes before it merges. */
function validate(listed: Listed[], stored: PartRow[]): PartRow[] {
  for (let i = 1; i < listed.length; i++) {
    if (listed[i]!.partNumber <= listed[i - 1]!.partNumber) {
      throw new CosError(
        400,
        'InvalidPartOrder',
        'The list of parts was not in ascending order. Parts must be ordered by part number.',
      );
    }
  }
  // 436/7742: "If the part numbers are not continuous, 400 InvalidPart" (中文: 当上传块编号不连续的时候).
  // The page does not say the run must start at 1; the emulator assumes it must (the least
  // convenient reading), so listing parts 2..N alone is refused too.
  listed.forEach((l, i) => {
    if (l.partNumber !== i + 1) {
      throw new CosError(
        400,
        'InvalidPart',
        `Part numbers must be consecutive from 1: part ${l.partNumber} is listed where part ${i + 1} belongs.`,
      );
    }
  });
  const byNumber = new Map(stored.map((p) => [p.partNumber, p]));
  const chosen = listed.map((l) => {
    const p = byNumber.get(l.partNumber);
    if (!p || bareEtag(p.etag) !== bareEtag(l.etag)) {
      throw new CosError(
        400,
        'InvalidPart',
        `One or more of the specified parts could not be found or its ETag did not match (part ${l.partNumber}).`,
      );
    }
    return p;
  });
  chosen.slice(0, -1).forEach((p) => {
    if (p.size < MIN_PART_BYTES) {
      throw new CosError(
        400,
        'EntityTooSmall',
        `Your proposed upload is smaller than the minimum allowed size: part ${p.partNumber} is ${p.size} bytes.`,
      );
    }
  });
  return chosen;
}

/** `"<md5 of the concatenated binary part MD5s>-<N>"`, COS's multipart ETag. */
const multipartEtag = (parts: PartRow[]): string => {
  const h = createHash('md5');
  for (const p of parts) h.update(Buffer.from(bareEtag(p.etag), 'hex'));
  return `"${h.digest('hex')}-${parts.length}"`;
};

/**
 * The object becomes a manifest of the chosen part files — COS assembles server-side too, and
 * copying every byte again on the same disk was most of a local Complete's time (0.3–1.9 s per
 * GiB). Synchronous: a normal merge validates and commits in one tick, and the commit re-checks
 * the part files anyway (a slow merge's parts may have changed while it waited).
 */
function commit(ctx: EmulatorContext, upload: UploadRow, parts: PartRow[], etag: string, crc64: string): Committed {
  const size = parts.reduce((n, p) => n + p.size, 0);
  try {
    const committed = ctx.store.commitUpload(upload.uploadId, parts, {
      bucket: upload.bucket,
      key: upload.key,
      blob: randomUUID(),
      parts: parts.length,
      size,
      etag,
      crc64,
      headers: upload.headers,
      storageClass: upload.storageClass,
      lastModified: ctx.now(),
    });
    if (!committed.ok)
      return { outcome: { ok: false, code: committed.code, message: LATE_MESSAGES[committed.code] }, garbage: [] };
    return { outcome: { ok: true, etag, crc64, size }, garbage: committed.garbage };
  } catch (e) {
    ctx.log({ level: 'error', msg: 'complete failed', uploadId: upload.uploadId, error: String(e) });
    return {
      outcome: {
        ok: false,
        code: 'InternalError',
        message: 'We encountered an internal error while merging the parts. Please try again.',
      },
      garbage: [],
    };
  }
}

/** How a fault shapes this Complete: a late <Error>, a merge that takes `slowMergeMs`, no CRC64 header. */
export interface CompleteFaults {
  lateErrorCode?: string;
  slowMergeMs?: number;
  noCrc64?: boolean;
}

export async function complete(
  req: IncomingMessage,
  res: ServerResponse,
  ctx: EmulatorContext,
  info: RequestInfo,
  faults: CompleteFaults = {},
): Promise<void> {
  const body = await readSmallBody(req, MAX_BODY);
  const md5 = header(req, 'content-md5');
  // As on PUT Object and Upload Part (objects.ts): malformed → InvalidDigest, other → BadDigest (436/7730).
  if (md5 !== undefined && !CONTENT_MD5.test(md5))
    throw new CosError(400, 'InvalidDigest', 'The Content-MD5 you specified is not valid.');
  if (md5 !== undefined && createHash('md5').update(body).digest('base64') !== md5) {
    throw new CosError(400, 'BadDigest', 'The Content-MD5 you specified did not match what we received.');
  }
  const upload = uploadFor(ctx, info);
  const parts = validate(parseBody(body), ctx.store.allParts(upload.uploadId));
  // 436/7742: with x-cos-forbid-overwrite: true, an existing object is a 409 before the merge
  // starts. One created while a slow merge runs is overwritten (when COS re-checks is undocumented).
  checkForbidOverwrite(req, ctx, info);
  const etag = multipartEtag(parts);
  // Known before the merge, so it can go in the header of the streamed 200.
  const crc64 = combineParts(parts.map((p) => ({ crc64: p.crc64, size: p.size })));

  res.writeHead(200, {
    'Content-Type': 'application/xml',
    ...(faults.noCrc64 ? {} : { 'x-cos-hash-crc64ecma': crc64 }),
  });
  res.write(' ');
  const keepAlive = setInterval(() => {
    if (!res.destroyed) res.write(' ');
  }, KEEPALIVE_MS);
  let outcome: CompletionOutcome;
  try {
    if (faults.lateErrorCode !== undefined) {
      outcome = {
        ok: false,
        code: faults.lateErrorCode,
        message: 'Injected fault: the merge failed after the response started.',
      };
    } else {
      // Runs to its end even if this client hangs up: the merge is not tied to the response.
      outcome = await ctx.merges.start(upload, faults.slowMergeMs ?? 0, () => commit(ctx, upload, parts, etag, crc64));
    }
  } finally {
    clearInterval(keepAlive);
  }
  // The client may have gone while the merge ran; there is nobody left to tell.
  if (res.destroyed) return;
  const xml = outcome.ok
    ? wrap(
        'CompleteMultipartUploadResult',
        el('Location', `${header(req, 'host') ?? '127.0.0.1'}/${info.bucket}/${info.key}`),
        el('Bucket', info.bucket),
        el('Key', info.key),
        el('ETag', outcome.etag),
      )
    : errorXml(
        {
          code: outcome.code,
          message: outcome.message,
          resource: info.resource,
          requestId: info.requestId,
          traceId: newTraceId(),
        },
        false,
      );
  res.end(`\n${xml}`);
}
