import type { IncomingMessage } from 'node:http';
import { COS_MAX_TRAFFIC_LIMIT_BPS, COS_MIN_TRAFFIC_LIMIT_BPS } from '../../shared/core/cos-limits.ts';
import type { RequestInfo } from './context.ts';
import { invalidArgument } from './cos-error.ts';
import { header } from './request.ts';

/**
 * Single-connection bandwidth limit (436/40140, English 436/34072): `x-cos-traffic-limit` on PUT
 * Object, Upload Part or GET Object, as a header or a query parameter, in bits/s, 819200–838860800;
 * outside that range COS answers 400 (the page names no code: the emulator says `InvalidArgument`,
 * as for its other bad parameters). The header wins when both are sent (undocumented; assumed).
 */
export function trafficLimit(req: IncomingMessage, info: RequestInfo): number | null {
  const v = header(req, 'x-cos-traffic-limit') ?? info.query.get('x-cos-traffic-limit');
  if (v === undefined) return null;
  const n = /^\d{1,10}$/.test(v) ? Number(v) : Number.NaN;
  if (!(n >= COS_MIN_TRAFFIC_LIMIT_BPS && n <= COS_MAX_TRAFFIC_LIMIT_BPS)) {
    throw invalidArgument(
      `x-cos-traffic-limit must be a number of bits/s between ${COS_MIN_TRAFFIC_LIMIT_BPS} and ${COS_MAX_TRAFFIC_LIMIT_BPS}.`,
    );
  }
  return n;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Passes chunks on no faster than `bitsPerSecond`: after each chunk it waits until the bytes so
 * far could have arrived at that rate. Waiting inside the read loop stops reading the socket, so
 * TCP back-pressure slows the sender itself, as a throttled COS connection does.
 */
export function throttle(bitsPerSecond: number) {
  return async function* (source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
    const started = Date.now();
    let bits = 0;
    for await (const chunk of source) {
      yield chunk;
      bits += chunk.length * 8;
      const due = started + (bits / bitsPerSecond) * 1000;
      const wait = due - Date.now();
      if (wait > 0) await sleep(wait);
    }
  };
}
