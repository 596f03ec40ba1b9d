import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sdkError, signedFetch, startTestEmulator, type TestEmulator } from '../helpers/cos-emulator.ts';

/**
 * The `slowMerge` fault: Complete answers 200 at once and streams whitespace while the merge takes
 * its time (436/7742); meanwhile the upload reads as gone and the key as absent (the emulator's
 * documented assumption, local/cos/merges.ts); a client that hangs up does not stop the merge;
 * close() does not wait for the fault's timer.
 */

const MiB = 1024 * 1024;
const MERGE_MS = 1500;
let t: TestEmulator;
beforeAll(async () => {
  t = await startTestEmulator();
});
afterAll(() => t.close());

/** An upload of two parts, ready to complete; returns what Complete needs. */
async function twoParts(Key: string) {
  const cos = t.cos();
  const { UploadId } = await cos.multipartInit({ ...t.target, Key });
  const Parts = [];
  for (const [i, size] of [MiB, 7].entries()) {
    const { ETag } = await cos.multipartUpload({
      ...t.target,
      Key,
      UploadId,
      PartNumber: i + 1,
      Body: randomBytes(size),
    });
    Parts.push({ PartNumber: i + 1, ETag });
  }
  const xml = `<CompleteMultipartUpload>${Parts.map((p) => `<Part><PartNumber>${p.PartNumber}</PartNumber><ETag>${p.ETag}</ETag></Part>`).join('')}</CompleteMultipartUpload>`;
  return { cos, UploadId, Parts, xml };
}

const slowMerge = (ms = MERGE_MS) =>
  t.emulator.faults.add({ op: 'CompleteMultipartUpload', action: { type: 'slowMerge', ms } });

describe('slowMerge', () => {
  it('answers 200 at once, streams whitespace for the merge, then the result; the upload is gone meanwhile', async () => {
    const Key = 'slow/merge.bin';
    const { cos, UploadId, Parts, xml } = await twoParts(Key);
    slowMerge();
    const started = performance.now();
    const res = await signedFetch(t.emulator, { method: 'POST', key: Key, query: { uploadId: UploadId }, body: xml });
    expect(res.status).toBe(200);
    expect(performance.now() - started).toBeLessThan(MERGE_MS / 2);

    // During the merge: List Parts, a second Complete and Abort are NoSuchUpload; HEAD/GET 404.
    const list = await sdkError(cos.multipartListPart({ ...t.target, Key, UploadId }));
    expect([list.statusCode, list.code]).toEqual([404, 'NoSuchUpload']);
    const again = await sdkError(cos.multipartComplete({ ...t.target, Key, UploadId, Parts }));
    expect([again.statusCode, again.code]).toEqual([404, 'NoSuchUpload']);
    const abort = await sdkError(cos.multipartAbort({ ...t.target, Key, UploadId }));
    expect([abort.statusCode, abort.code]).toEqual([404, 'NoSuchUpload']);
    const part = await sdkError(
      cos.multipartUpload({ ...t.target, Key, UploadId, PartNumber: 3, Body: Buffer.from('late') }),
    );
    expect(part.code).toBe('NoSuchUpload');
    expect((await sdkError(cos.headObject({ ...t.target, Key }))).statusCode).toBe(404);
    expect((await sdkError(cos.getObject({ ...t.target, Key }))).code).toBe('NoSuchKey');

    const body = await res.text();
    expect(performance.now() - started).toBeGreaterThanOrEqual(MERGE_MS - 50);
    expect(body.length - body.trimStart().length).toBeGreaterThanOrEqual(3); // ' ' now and every 500 ms
    expect(body.trim()).toMatch(/^<CompleteMultipartUploadResult>.*<ETag>"[0-9a-f]{32}-2"<\/ETag>/);
    const head = await cos.headObject({ ...t.target, Key });
    expect(head.headers?.['content-length']).toBe(String(MiB + 7));
  });

  it('the official SDK waits through the whitespace and gets the result', async () => {
    const Key = 'slow/sdk.bin';
    const { cos, UploadId, Parts } = await twoParts(Key);
    slowMerge();
    const started = performance.now();
    const done = await cos.multipartComplete({ ...t.target, Key, UploadId, Parts });
    expect(performance.now() - started).toBeGreaterThanOrEqual(MERGE_MS - 50);
    expect(done.statusCode).toBe(200);
    expect(done.ETag).toMatch(/-2"$/);
  });

  it('a client that hangs up mid-merge does not stop it: the object appears when the merge ends', async () => {
    const Key = 'slow/hung-up.bin';
    const { cos, UploadId, xml } = await twoParts(Key);
    slowMerge(1000);
    const started = performance.now();
    const ac = new AbortController();
    const res = await fetch(await signedUrl(Key, UploadId), {
      method: 'POST',
      body: xml,
      signal: ac.signal,
      headers: { 'content-type': 'application/xml' },
    }).catch((e: unknown) => e);
    expect((res as Response).status).toBe(200);
    ac.abort();
    expect((await sdkError(cos.headObject({ ...t.target, Key }))).statusCode).toBe(404);
    let seen = 0;
    for (let i = 0; i < 60 && !seen; i++) {
      await new Promise((r) => setTimeout(r, 50));
      seen = await cos.headObject({ ...t.target, Key }).then(
        () => performance.now() - started,
        () => 0,
      );
    }
    expect(seen).toBeGreaterThanOrEqual(950);
    expect((await sdkError(cos.multipartListPart({ ...t.target, Key, UploadId }))).code).toBe('NoSuchUpload');
  });

  it('close() does not wait for a slow merge: it commits at once and the object is there after a restart', async () => {
    const Key = 'slow/closed.bin';
    const { UploadId, xml } = await twoParts(Key);
    slowMerge(60_000);
    const res = await signedFetch(t.emulator, { method: 'POST', key: Key, query: { uploadId: UploadId }, body: xml });
    expect(res.status).toBe(200);
    void res.text().catch(() => {});
    const started = performance.now();
    await t.restart();
    expect(performance.now() - started).toBeLessThan(5000);
    const head = await t.cos().headObject({ ...t.target, Key });
    expect(head.statusCode).toBe(200);
  });
});

/** Complete's URL presigned by the official SDK, so a plain fetch (with its own AbortSignal) can send it. */
function signedUrl(Key: string, UploadId: string): Promise<string> {
  return new Promise((resolve, reject) =>
    t
      .cos()
      .getObjectUrl({ ...t.target, Key, Method: 'POST', Sign: true, Query: { uploadId: UploadId } }, (err, data) =>
        err ? reject(err) : resolve(data.Url),
      ),
  );
}
