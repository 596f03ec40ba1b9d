import { mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fileSource, uploadFile } from '../../client/node-source.ts';
import type { UploadSource } from '../../client/sources.ts';
import { upload } from '../../client/upload.ts';
import { crc64 } from '../../shared/core/crc64.ts';
import { FakeBackend, testBytes } from './fake-backend.ts';

/** The part pipeline's economies: reused part buffers. */

const opts = (fake: FakeBackend) => ({ api: fake.api, token: 't0k', fetch: fake.fetch });
const dir = mkdtempSync(join(tmpdir(), 'client-pipeline-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** An in-memory source that reads into the buffers it is given, and remembers them. */
function readIntoSource(bytes: Uint8Array) {
  const targets = new Set<Uint8Array>();
  const source: UploadSource = {
    size: bytes.length,
    read: async (start, end) => bytes.slice(start, end),
    async readInto(start, end, target) {
      targets.add(target);
      await new Promise((r) => setTimeout(r, 0));
      target.set(bytes.subarray(start, end));
    },
  };
  return { source, targets };
}

describe('part buffers', () => {
  it('reads parts into a few reused buffers, never one still being sent', async () => {
    const fake = new FakeBackend({ partSize: 100 });
    const bytes = testBytes(3_050);
    const { source, targets } = readIntoSource(bytes);
    let overwritten = 0;
    // Uneven PUT times put the workers out of step; each body must stay intact for its whole flight.
    const fetch = async (url: string, init?: RequestInit) => {
      if (url.startsWith(fake.api)) return fake.fetch(url, init);
      const body = init?.body as Uint8Array;
      const sent = Uint8Array.from(body);
      const partNumber = Number(new URL(url).searchParams.get('partNumber'));
      await new Promise((r) => setTimeout(r, (partNumber * 7) % 5));
      if (!body.every((b, i) => b === sent[i])) overwritten++;
      return fake.fetch(url, init);
    };
    const done = await upload(source, { ...opts(fake), fetch, concurrency: 3 });
    expect(overwritten).toBe(0);
    expect(fake.object(done.id)).toEqual(bytes);
    expect(done.crc64).toBe(crc64(bytes).toString());
    // 31 parts through at most 3 full-size buffers plus one for the short last part.
    expect(targets.size).toBeLessThanOrEqual(4);
  });

  it('a source without readInto still gets one read() per part', async () => {
    const fake = new FakeBackend({ partSize: 100 });
    const bytes = testBytes(1_000);
    let reads = 0;
    const source: UploadSource = { size: bytes.length, read: async (s, e) => (reads++, bytes.slice(s, e)) };
    const done = await upload(source, opts(fake));
    expect(fake.object(done.id)).toEqual(bytes);
    expect(reads).toBe(10);
  });

  it('fileSource reads into the given buffer, refuses a wrong-sized one, and notices a file that shrank', async () => {
    const path = join(dir, 'f.bin');
    const bytes = testBytes(5_000, 7);
    writeFileSync(path, bytes);
    const src = await fileSource(path);
    const target = new Uint8Array(1_000);
    await src.readInto!(2_000, 3_000, target);
    expect(target).toEqual(bytes.subarray(2_000, 3_000));
    expect(await src.read(4_990, 5_000)).toEqual(bytes.subarray(4_990));
    await expect(src.readInto!(0, 10, new Uint8Array(9))).rejects.toMatchObject({ code: 'INVALID_OPTIONS' });
    truncateSync(path, 4_000);
    await expect(src.readInto!(3_500, 4_500, new Uint8Array(1_000))).rejects.toMatchObject({
      code: 'SOURCE_MISMATCH',
    });
  });

  it('uploadFile sends a file through reused buffers byte for byte', async () => {
    const path = join(dir, 'g.bin');
    const bytes = testBytes(10_007, 3);
    writeFileSync(path, bytes);
    const fake = new FakeBackend({ partSize: 1_000, putDelayMs: 1 });
    const done = await uploadFile(path, { ...opts(fake), concurrency: 4 });
    expect(fake.object(done.id)).toEqual(bytes);
    expect(done.crc64).toBe(crc64(bytes).toString());
  });
});
