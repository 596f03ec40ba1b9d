import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { sdkError, signedFetch, startTestEmulator, type TestEmulator } from '../helpers/cos-emulator.ts';

/** Each fault action observed from the client side, in-process and over the loopback admin route. */

let t: TestEmulator;
beforeAll(async () => {
  t = await startTestEmulator();
});
afterAll(() => t.close());
afterEach(() => t.emulator.faults.clear());

const put = (key: string, body = 'data') => signedFetch(t.emulator, { method: 'PUT', key, body });
const code = async (res: Response) => /<Code>([^<]+)<\/Code>/.exec(await res.text())?.[1];

describe('fault injection', () => {
  it('error: the next N matching requests get the status and code, then service resumes', async () => {
    const before = t.emulator.faults.hits;
    t.emulator.faults.add({ op: 'PutObject', count: 2, action: { type: 'error', code: 'SlowDown' } });
    const a = await put('f/a');
    expect([a.status, await code(a)]).toEqual([503, 'SlowDown']);
    expect(a.headers.get('x-cos-request-id')).toBeTruthy();
    const b = await put('f/a');
    expect(b.status).toBe(503);
    expect((await put('f/a')).status).toBe(200);
    expect(t.emulator.faults.hits - before).toBe(2);
  });

  it('error: defaults to 503 ServiceUnavailable; matches on op, method and key prefix only', async () => {
    t.emulator.faults.add({ method: 'PUT', keyPrefix: 'only/', action: { type: 'error' } });
    expect((await put('elsewhere/x')).status).toBe(200);
    expect((await signedFetch(t.emulator, { method: 'GET', key: 'only/x' })).status).toBe(404);
    const hit = await put('only/x');
    expect([hit.status, await code(hit)]).toEqual([503, 'ServiceUnavailable']);
  });

  it('probability 0 never fires and count Infinity keeps firing', async () => {
    t.emulator.faults.add({
      op: 'HeadObject',
      probability: 0,
      count: Number.POSITIVE_INFINITY,
      action: { type: 'error' },
    });
    for (let i = 0; i < 5; i++)
      expect((await signedFetch(t.emulator, { method: 'HEAD', key: 'none' })).status).toBe(404);
    t.emulator.faults.clear();
    t.emulator.faults.add({
      op: 'HeadObject',
      count: Number.POSITIVE_INFINITY,
      action: { type: 'error', status: 500, code: 'InternalError' },
    });
    for (let i = 0; i < 5; i++)
      expect((await signedFetch(t.emulator, { method: 'HEAD', key: 'none' })).status).toBe(500);
  });

  it('delay: the request is held, then handled normally', async () => {
    t.emulator.faults.add({ op: 'PutObject', action: { type: 'delay', ms: 300 } });
    const started = performance.now();
    const res = await put('f/delayed');
    expect(res.status).toBe(200);
    expect(performance.now() - started).toBeGreaterThanOrEqual(290);
  });

  it('drop: the connection is closed without an answer, after the body was read', async () => {
    t.emulator.faults.add({ op: 'PutObject', action: { type: 'drop' } });
    await expect(put('f/dropped', 'x'.repeat(100_000))).rejects.toThrow();
    // Nothing was stored, and the next request is served.
    expect((await signedFetch(t.emulator, { method: 'HEAD', key: 'f/dropped' })).status).toBe(404);
  });

  it('the SDK sees injected errors on STS too (HTTP status with Response.Error)', async () => {
    t.emulator.faults.add({ op: 'GetFederationToken', action: { type: 'error', code: 'SlowDown' } });
    const err = (await t
      .stsClient()
      .GetFederationToken({ Name: 'faulty', Policy: encodeURIComponent('{}') })
      .catch((e: unknown) => e)) as { httpCode?: number };
    expect(err.httpCode).toBe(503);
  });

  it('completeError surfaces through the SDK as an error', async () => {
    const cos = t.cos();
    const { UploadId } = await cos.multipartInit({ ...t.target, Key: 'f/complete' });
    const { ETag } = await cos.multipartUpload({
      ...t.target,
      Key: 'f/complete',
      UploadId,
      PartNumber: 1,
      Body: Buffer.from('x'),
    });
    t.emulator.faults.add({ op: 'CompleteMultipartUpload', action: { type: 'completeError', code: 'InternalError' } });
    const err = await sdkError(
      cos.multipartComplete({ ...t.target, Key: 'f/complete', UploadId, Parts: [{ PartNumber: 1, ETag }] }),
    );
    expect(err.code).toBe('InternalError');
  });

  it('is driven over HTTP from loopback: POST adds (one rule or a list), DELETE clears, bad rules are 400', async () => {
    const admin = `${t.emulator.url}/__emulator/faults`;
    const add = await fetch(admin, {
      method: 'POST',
      body: JSON.stringify([{ op: 'PutObject', count: 5, action: { type: 'error', status: 503, code: 'SlowDown' } }]),
    });
    expect(add.status).toBe(200);
    expect((await put('f/http')).status).toBe(503);
    expect((await fetch(admin, { method: 'DELETE' })).status).toBe(200);
    expect((await put('f/http')).status).toBe(200);
    const bad = await fetch(admin, { method: 'POST', body: JSON.stringify({ action: { type: 'explode' } }) });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toContain('explode');
  });
});
