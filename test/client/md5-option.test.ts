import { createHash, randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { contentMd5, Md5 } from '../../client/md5.ts';
import { upload } from '../../client/upload.ts';
import { FakeBackend, noWait, testBytes } from './fake-backend.ts';
import { startUpload } from '../../client/upload-run.ts';

/** The `md5`, `trafficLimit` and object-header options of the client (client/README.md). */

const opts = (fake: FakeBackend) => ({ baseUrl: fake.api, token: 't0k', fetch: fake.fetch });
const nodeMd5 = (b: Uint8Array) => createHash('md5').update(b).digest('base64');

describe('the MD5 that runs in browsers too (client/md5.ts)', () => {
  it('equals node:crypto over lengths around the block and padding edges', () => {
    for (const n of [0, 1, 55, 56, 57, 63, 64, 65, 119, 120, 128, 1000, 65_537]) {
      const b = randomBytes(n);
      expect(contentMd5(b), String(n)).toBe(nodeMd5(b));
    }
    expect(contentMd5(new TextEncoder().encode('abc'))).toBe('kAFQmDzST7DWlj99KOF/cg==');
  });

  it('is the same whatever the update chunks', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 600 }),
        fc.array(fc.nat({ max: 600 }), { maxLength: 6 }),
        (bytes, cuts) => {
          const h = new Md5();
          let at = 0;
          for (const c of [...cuts].sort((a, b) => a - b)) {
            h.update(bytes.subarray(at, Math.max(at, Math.min(c, bytes.length))));
            at = Math.max(at, Math.min(c, bytes.length));
          }
          h.update(bytes.subarray(at));
          expect(Buffer.from(h.digest()).toString('base64')).toBe(nodeMd5(bytes));
        },
      ),
    );
  });
});

describe('md5: true', () => {
  it("asks part-urls with each part's MD5, sends it, and completes", async () => {
    const fake = new FakeBackend({ partSize: 100 });
    const bytes = testBytes(1_050);
    const done = await upload(bytes, { ...opts(fake), md5: true, concurrency: 3 });
    expect(done.state).toBe('completed');
    const asked = fake.partUrlBodies.flatMap((b) => b.md5s ?? []);
    expect(asked.map((p) => p.partNumber).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    for (const p of asked) {
      expect(p.md5).toBe(nodeMd5(bytes.subarray((p.partNumber - 1) * 100, p.partNumber * 100)));
    }
    expect(fake.partUrlBodies.every((b) => b.md5s !== undefined)).toBe(true);
  });

  it('a part damaged on the way is refused by COS (BadDigest) and sent again', async () => {
    const fake = new FakeBackend({
      partSize: 100,
      cosFault: ({ partNumber, attempt }) => (partNumber === 2 && attempt === 0 ? 'corrupt' : undefined),
    });
    const bytes = testBytes(300);
    const done = await startUpload(bytes, { ...opts(fake), md5: true }, { retry: noWait }).done;
    expect(done.state).toBe('completed');
    expect(fake.puts.get(2)).toBe(1);
    expect(Buffer.from(fake.uploads.get(done.id)!.cos.get(2)!.bytes)).toEqual(Buffer.from(bytes.subarray(100, 200)));
  });

  it('without md5, part-urls gets part numbers only', async () => {
    const fake = new FakeBackend({ partSize: 100 });
    await upload(testBytes(250), opts(fake));
    expect(fake.partUrlBodies.every((b) => b.md5s === undefined && b.trafficLimit === undefined)).toBe(true);
  });
});

describe('trafficLimit and object headers', () => {
  it('passes trafficLimit to every part-urls call and the object headers to create', async () => {
    const fake = new FakeBackend({ partSize: 100 });
    const headers = {
      storageClass: 'STANDARD_IA',
      cacheControl: 'max-age=60',
      contentDisposition: 'attachment',
      contentEncoding: 'gzip',
      contentLanguage: 'fr',
      expires: 'Tue, 01 Dec 2026 00:00:00 GMT',
    };
    const done = await upload(testBytes(250), { ...opts(fake), trafficLimit: 1_048_576, ...headers });
    expect(done).toMatchObject(headers);
    expect(fake.partUrlBodies.length).toBeGreaterThan(0);
    expect(fake.partUrlBodies.every((b) => b.trafficLimit === 1_048_576)).toBe(true);
  });

  it('refuses a trafficLimit outside COS range, md5 not a boolean, an empty header, before any request', async () => {
    for (const bad of [{ trafficLimit: 819_199 }, { trafficLimit: 1e9 }, { md5: 'yes' }, { cacheControl: '' }]) {
      const fake = new FakeBackend({ partSize: 100 });
      await expect(upload(testBytes(10), { ...opts(fake), ...(bad as object) })).rejects.toMatchObject({
        code: 'INVALID_OPTIONS',
      });
      expect(fake.calls.create).toBe(0);
    }
  });
});
