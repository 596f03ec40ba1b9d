import { XMLParser } from 'fast-xml-parser';
import { quoteEtag } from '../core/verify-parts.ts';
import { validationFailed } from '../errors.ts';
import type * as z from '../zod.ts';

/**
 * The one configured fast-xml-parser. Values stay strings (`parseTagValue: false`): an UploadId
 * or ETag that looks numeric must not become a number, and zod schemas coerce the few numeric
 * fields on purpose. Values are not trimmed because an object key may begin or end with a space.
 */
const parser = new XMLParser({
  ignoreAttributes: true,
  ignoreDeclaration: true,
  ignorePiTags: true,
  parseTagValue: false,
  trimValues: false,
  processEntities: true,
  // COS escapes control characters in keys as numeric references (&#x1;).
  htmlEntities: true,
});

/**
 * COS answered something that is not the XML we expect. The raw body is kept as a non-enumerable
 * `body` for debugging; it never goes into `message`, which may reach logs or (via mapping) clients.
 */
export class CosXmlError extends Error {
  override readonly name = 'CosXmlError';
  declare readonly body: string;

  constructor(message: string, body: string, cause?: unknown) {
    super(message, { cause });
    Object.defineProperty(this, 'body', { value: body, enumerable: false });
  }
}

export const isCosXmlError = (e: unknown): e is CosXmlError => e instanceof CosXmlError;

/** Parses a COS XML body (leading whitespace allowed: Complete streams it) and validates its shape. */
export function parseXml<T>(body: string, schema: z.ZodMiniType<T>): T {
  let doc: unknown;
  try {
    // `true` runs the validator first; without it the parser accepts broken documents silently.
    doc = parser.parse(body.trim(), true);
  } catch (e) {
    throw new CosXmlError('COS answered malformed XML', body, e);
  }
  const result = schema.safeParse(doc);
  if (!result.success) {
    const where = result.error.issues.map((i) => i.path.join('.') || '(root)').join(', ');
    throw new CosXmlError(`COS answer has an unexpected shape at ${where}`, body, result.error);
  }
  return result.data;
}

// XML 1.0 cannot carry these at all, escaped or not.
const INVALID_XML_CHARS = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/;

export const isXmlSafe = (text: string): boolean => !INVALID_XML_CHARS.test(text);

/** Escapes text content; `>` too so `]]>` can never appear. Callers check isXmlSafe first. */
export const escapeXml = (text: string): string =>
  text.replace(/[&<>]/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : '&gt;'));

/**
 * The Complete Multipart Upload request body, parts in the order given (COS itself rejects a
 * wrong order with InvalidPartOrder). ETags come from clients via the ledger, so bad ones are a
 * 400, not a crash.
 */
export function buildCompleteXml(parts: readonly { partNumber: number; etag: string }[]): string {
  const items = parts.map((p, i) => {
    if (!Number.isInteger(p.partNumber) || p.partNumber < 1) {
      throw validationFailed([{ path: ['parts', i, 'partNumber'], message: 'must be a positive integer' }]);
    }
    if (p.etag === '' || !isXmlSafe(p.etag)) {
      throw validationFailed([{ path: ['parts', i, 'etag'], message: 'must be a non-empty XML-safe string' }]);
    }
    return `<Part><PartNumber>${p.partNumber}</PartNumber><ETag>${escapeXml(quoteEtag(p.etag))}</ETag></Part>`;
  });
  return `<CompleteMultipartUpload>${items.join('')}</CompleteMultipartUpload>`;
}
