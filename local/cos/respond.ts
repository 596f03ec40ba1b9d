import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { CosError } from './cos-error.ts';
import { errorXml } from './xml.ts';

/** Response plumbing shared by every handler: common headers, XML, errors, small bodies. */

export const newRequestId = (): string => randomBytes(18).toString('base64url');
export const newTraceId = (): string => randomBytes(24).toString('base64url');

/** Headers every COS response carries (CORS headers are the bucket rules' business: cors.ts). */
export function setCommonHeaders(res: ServerResponse, requestId: string): void {
  res.setHeader('x-cos-request-id', requestId);
  res.setHeader('Server', 'tencent-cos');
  res.setHeader('Date', new Date().toUTCString());
}

export function sendXml(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  const buf = Buffer.from(body, 'utf8');
  res.writeHead(status, { ...headers, 'Content-Type': 'application/xml', 'Content-Length': String(buf.length) });
  res.end(buf);
}

export function sendEmpty(res: ServerResponse, status: number, headers: Record<string, string> = {}): void {
  res.writeHead(status, { ...headers, 'Content-Length': '0' });
  res.end();
}

/**
 * Reads and discards what is left of the request body, so an early error (403 on a big PUT) is
 * read by the client as an answer instead of a reset while it is still sending.
 */
export function drain(req: IncomingMessage): Promise<void> {
  if (req.readableEnded || req.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    req.on('end', resolve);
    req.on('close', resolve);
    req.on('error', () => resolve());
    req.resume();
  });
}

export async function sendCosError(
  req: IncomingMessage,
  res: ServerResponse,
  err: CosError,
  resource: string,
  requestId: string,
): Promise<void> {
  await drain(req);
  if (res.headersSent || res.destroyed) return;
  const body =
    req.method === 'HEAD'
      ? ''
      : errorXml({ code: err.code, message: err.message, resource, requestId, traceId: newTraceId() });
  const buf = Buffer.from(body, 'utf8');
  res.writeHead(err.status, {
    'Content-Type': 'application/xml',
    'Content-Length': String(buf.length),
    'x-cos-error-code': err.code,
  });
  res.end(req.method === 'HEAD' ? undefined : buf);
}

/** Buffers a small body (Complete's XML, STS JSON, admin JSON), refusing more than limit bytes. */
export async function readSmallBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new CosError(400, 'EntityTooLarge', `The request body exceeds ${limit} bytes.`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}
