import type { IncomingMessage } from 'node:http';
import { CosError, invalidArgument } from './cos-error.ts';

/**
 * User metadata rules of PUT Object (436/7749) and Initiate Multipart Upload (436/7746):
 * "x-cos-meta-*: 包括用户自定义元数据头部后缀和用户自定义元数据信息…大小限制为2KB。注意：用户自定义
 * 元数据信息支持下划线（_），但用户自定义元数据头部后缀不支持下划线，仅支持减号（-）".
 *
 * - A suffix outside `[a-z0-9-]` (an `_` above all; names arrive lowercased) → 400 InvalidArgument.
 * - More than 2 KB in all → 400 MetadataTooLarge. COS does not say what it counts; the emulator
 *   (like the production side) counts every full header name (`x-cos-meta-` + suffix) plus its
 *   value, in UTF-8 bytes — the larger plausible reading, so what passes here passes on COS.
 */

const PREFIX = 'x-cos-meta-';
export const MAX_METADATA_BYTES = 2 * 1024;
const SUFFIX_RE = /^[a-z0-9-]+$/;

export function checkMetadata(req: IncomingMessage): void {
  let bytes = 0;
  for (const [name, v] of Object.entries(req.headers)) {
    if (!name.startsWith(PREFIX) || v === undefined) continue;
    const suffix = name.slice(PREFIX.length);
    if (!SUFFIX_RE.test(suffix)) {
      throw invalidArgument(
        `User metadata header ${name}: the part after x-cos-meta- may hold only a-z, 0-9 and -, not '_' or other characters.`,
      );
    }
    bytes += Buffer.byteLength(name) + Buffer.byteLength(Array.isArray(v) ? v.join(', ') : v);
  }
  if (bytes > MAX_METADATA_BYTES) {
    throw new CosError(
      400,
      'MetadataTooLarge',
      `Your metadata headers exceed the maximum allowed metadata size: ${bytes} bytes, at most ${MAX_METADATA_BYTES}.`,
    );
  }
}
