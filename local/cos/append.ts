import { createHash, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { crc64Combine } from '../../shared/core/crc64.ts';
import { crc64Header, type EmulatorContext, MAX_OBJECT_BYTES, type RequestInfo } from './context.ts';
import { CosError, invalidArgument } from './cos-error.ts';
import { checkDeclaredLength, receiveBody, storageClass, storedHeaders } from './objects.ts';
import { sendEmpty } from './respond.ts';

/**
 * APPEND Object (436/7741): `POST /<key>?append&position=N`. The first append (position 0, no
 * object) makes an appendable object; each next one must name the current length, else 409
 * PositionNotEqualToLength; a normal object answers 409 ObjectNotAppendable. Pieces have no minimum
 * size; the object may not pass 5 GB. Headers of the first append are the object's; the storage
 * class of later appends is ignored (COS keeps the object's).
 */

const bare = (etag: string): string => etag.replace(/"/g, '');

export async function appendObject(
  req: IncomingMessage,
  res: ServerResponse,
  ctx: EmulatorContext,
  info: RequestInfo,
): Promise<void> {
  const position = info.query.get('position') ?? '';
  if (!/^\d+$/.test(position)) throw invalidArgument('position must be a non-negative integer.');
  checkDeclaredLength(req);
  const headers = storedHeaders(req);
  const sc = storageClass(req);
  const { blob } = await receiveBody(req, ctx, info);
  const piece = { blob: blob.id, size: blob.size, crc64: blob.crc64 };
  const result = ctx.store.appendObject({
    bucket: info.bucket,
    key: info.key,
    position: Number(position),
    piece,
    maxBytes: MAX_OBJECT_BYTES,
    newManifest: randomUUID(),
    headers,
    storageClass: sc,
    // COS does not document an appendable object's ETag; the emulator makes one that changes with
    // every append and is no MD5 of the content (a client must not rely on it being one).
    etag: (previous) =>
      `"${createHash('md5')
        .update(bare(previous ?? ''))
        .update(blob.md5)
        .digest('hex')}"`,
    combine: (previous) => crc64Combine(BigInt(previous), BigInt(blob.crc64), blob.size).toString(),
    now: ctx.now(),
  });
  if (!result.ok) {
    await ctx.blobs.remove([blob.id]);
    if (result.code === 'ObjectNotAppendable')
      throw new CosError(409, 'ObjectNotAppendable', 'The object is not appendable.');
    if (result.code === 'EntityTooLarge')
      throw new CosError(400, 'EntityTooLarge', 'An appendable object may be at most 5 GB.');
    throw new CosError(409, 'PositionNotEqualToLength', 'The position is not equal to the length of the object.');
  }
  sendEmpty(res, 200, {
    ETag: result.object.etag,
    'x-cos-next-append-position': String(result.object.size),
    ...crc64Header(info, result.object.crc64),
  });
}
