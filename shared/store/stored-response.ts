import { deflateRawSync, inflateRawSync } from 'node:zlib';

/**
 * Idempotency-Key responses are kept deflated: a create that presigns 1,000 parts answers ~0.5 MB,
 * over DynamoDB's 400 KB item limit, and the URLs (one host, one path, hex signatures) shrink
 * several times over. The largest create response stays far under the limit (tested); a body
 * that would not fit is refused loudly rather than stored cut short.
 */
export const MAX_PACKED_BYTES = 350_000;

export function packBody(body: string): Uint8Array {
  const packed = deflateRawSync(Buffer.from(body, 'utf8'));
  if (packed.length > MAX_PACKED_BYTES) {
    throw new Error(
      `an idempotent response of ${body.length} chars deflates to ${packed.length} bytes, over ${MAX_PACKED_BYTES}`,
    );
  }
  return new Uint8Array(packed.buffer, packed.byteOffset, packed.length);
}

export function unpackBody(packed: Uint8Array): string {
  return inflateRawSync(packed).toString('utf8');
}
