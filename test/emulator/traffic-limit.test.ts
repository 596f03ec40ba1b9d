import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sdkError, signedFetch, startTestEmulator, type TestEmulator } from '../helpers/cos-emulator.ts';

/**
 * x-cos-traffic-limit (436/40140): bits/s in 819200–838860800, else 400; inside the range the
 * emulator reads the body no faster. The timings are behaviour, not performance: only a lower
 * bound for the throttled PUT, and a bound for the unthrottled one loose enough for a busy machine.
 */

let t: TestEmulator;
beforeAll(async () => {
  t = await startTestEmulator();
});
afterAll(() => t.close());

const MiB = 1024 * 1024;
const EIGHT_MBIT = 8 * 1024 * 1024;

describe('x-cos-traffic-limit', () => {
  it('outside 819200–838860800 (or not a number) is InvalidArgument, on PUT Object and Upload Part', async () => {
    const cos = t.cos();
    for (const TrafficLimit of [819_199, 838_860_801, 0]) {
      const put = await sdkError(
        cos.putObject({ ...t.target, Key: 'tl/put.bin', Body: Buffer.from('x'), TrafficLimit } as never),
      );
      expect(put, String(TrafficLimit)).toMatchObject({ statusCode: 400, code: 'InvalidArgument' });
    }
    const { UploadId } = await cos.multipartInit({ ...t.target, Key: 'tl/part.bin' });
    const part = await sdkError(
      cos.multipartUpload({
        ...t.target,
        Key: 'tl/part.bin',
        UploadId,
        PartNumber: 1,
        Body: Buffer.from('x'),
        Headers: { 'x-cos-traffic-limit': 'fast' },
      }),
    );
    expect(part).toMatchObject({ statusCode: 400, code: 'InvalidArgument' });
    expect((await sdkError(cos.headObject({ ...t.target, Key: 'tl/put.bin' }))).statusCode).toBe(404);
  });

  it('the bounds themselves are accepted', async () => {
    const cos = t.cos();
    for (const TrafficLimit of [819_200, 838_860_800]) {
      const put = await cos.putObject({
        ...t.target,
        Key: 'tl/edge.bin',
        Body: Buffer.from('x'),
        TrafficLimit,
      } as never);
      expect(put.statusCode).toBe(200);
    }
  });

  it('a 2 MiB part at 8 Mbit/s takes at least 1.8 s; without a limit far less', async () => {
    const cos = t.cos();
    const Key = 'tl/slow.bin';
    const body = Buffer.alloc(2 * MiB, 7);
    const { UploadId } = await cos.multipartInit({ ...t.target, Key });
    const timed = async (headers: Record<string, string>) => {
      const started = performance.now();
      const res = await signedFetch(t.emulator, {
        method: 'PUT',
        key: Key,
        query: { partNumber: '1', uploadId: UploadId },
        body,
        headers,
      });
      expect(res.status).toBe(200);
      return performance.now() - started;
    };
    const throttled = await timed({ 'x-cos-traffic-limit': String(EIGHT_MBIT) });
    expect(throttled).toBeGreaterThanOrEqual(1800);
    const free = await timed({});
    expect(free).toBeLessThan(1500);
    // The throttled body arrived whole.
    const parts = await cos.multipartListPart({ ...t.target, Key, UploadId });
    expect(parts.Part?.[0]?.Size).toBe(String(2 * MiB));
  });

  it('via the official SDK: uploadPart with TrafficLimit is throttled too', async () => {
    const cos = t.cos();
    const Key = 'tl/sdk.bin';
    const { UploadId } = await cos.multipartInit({ ...t.target, Key });
    const started = performance.now();
    await cos.multipartUpload({
      ...t.target,
      Key,
      UploadId,
      PartNumber: 1,
      Body: Buffer.alloc(MiB, 1),
      Headers: { 'x-cos-traffic-limit': String(EIGHT_MBIT) },
    });
    expect(performance.now() - started).toBeGreaterThanOrEqual(900);
  });
});
