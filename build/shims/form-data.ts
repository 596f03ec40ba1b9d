/**
 * Stands in for `form-data` (v3) where tencentcloud-sdk-nodejs-common imports it, in the Lambda
 * bundles only (build/bundle.ts). The real package brings mime-types → mime-db (137 KB of JSON)
 * and combined-stream into the credentials function for a multipart path STS never takes.
 *
 * Not Node's built-in FormData: the SDK signs a multipart body (TC3 hashes it in sign.js) before
 * sending it, so it needs the boundary up front (getBoundary) and the exact bytes form-data would
 * send — a Buffer part without a filename and with `Content-Type: application/octet-stream`. The
 * built-in one picks its boundary only when fetch serialises it and sends a Buffer either as text
 * or, wrapped in a Blob, with `filename="blob"`: the signature would not match. So this writes
 * form-data's bytes itself (string, number and Buffer values: what the SDK appends), and the
 * node-fetch shim sends getBuffer().
 */
import { randomBytes } from 'node:crypto';

const CRLF = '\r\n';
/** form-data's escaping of the field name inside `name="..."`. */
const escapeParam = (s: string) => s.replace(/\r/g, '%0D').replace(/\n/g, '%0A').replace(/"/g, '%22');

export default class FormData {
  #boundary: string | undefined;
  readonly #parts: { name: string; value: string | Uint8Array }[] = [];

  append(name: string, value: unknown): void {
    if (typeof value === 'number' || value === null || value === undefined) value = String(value);
    if (typeof value !== 'string' && !(value instanceof Uint8Array)) {
      // form-data would stream these; the SDK turns streams into Buffers before appending.
      throw new TypeError(`form-data shim: field ${name} must be a string, number or Buffer`);
    }
    this.#parts.push({ name, value });
  }

  getBoundary(): string {
    // form-data's own shape: 26 dashes and 24 hex digits.
    this.#boundary ??= `--------------------------${randomBytes(12).toString('hex')}`;
    return this.#boundary;
  }

  setBoundary(boundary: string): void {
    if (typeof boundary !== 'string') throw new TypeError('FormData boundary must be a string');
    this.#boundary = boundary;
  }

  getHeaders(userHeaders: Record<string, string> = {}): Record<string, string> {
    const headers: Record<string, string> = { 'content-type': `multipart/form-data; boundary=${this.getBoundary()}` };
    for (const [k, v] of Object.entries(userHeaders)) headers[k.toLowerCase()] = v;
    return headers;
  }

  /** The whole body, byte for byte what form-data would send. */
  getBuffer(): Buffer<ArrayBuffer> {
    const boundary = this.getBoundary();
    const chunks: Uint8Array[] = [];
    for (const { name, value } of this.#parts) {
      const type = typeof value === 'string' ? '' : `Content-Type: application/octet-stream${CRLF}`;
      chunks.push(
        Buffer.from(
          `--${boundary}${CRLF}Content-Disposition: form-data; name="${escapeParam(name)}"${CRLF}${type}${CRLF}`,
        ),
        typeof value === 'string' ? Buffer.from(value) : value,
        Buffer.from(CRLF),
      );
    }
    chunks.push(Buffer.from(`--${boundary}--${CRLF}`));
    return Buffer.concat(chunks);
  }
}
