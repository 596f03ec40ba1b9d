import { mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fileSource, uploadFile } from '../../client/node-source.ts';
import type { UploadSource } from '../../client/sources.ts';
import { upload } from '../../client/upload.ts';
import { crc64 } from '../../shared/core/crc64.ts';
import { FakeBackend, noWait, testBytes } from './fake-backend.ts';
import { startUpload } from '../../client/upload-run.ts';

/** The part pipeline's economies: reused part buffers, and CRC64s hashed while the PUT is in flight. */

const opts = (fake: FakeBackend) => ({ baseUrl: fake.api, token: 't0k', fetch: fake.fetch });
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

describe('CRC64 while the PUT is in flight (parts of 256 KiB and more)', () => {
  const big = 300 * 1024;

  it('still checks every part against COS: a damaged part is sent again', async () => {
    const fake = new FakeBackend({
      partSize: big,
      cosFault: ({ partNumber, attempt }) => (partNumber === 2 && attempt === 0 ? 'corrupt' : undefined),
    });
    const bytes = testBytes(2 * big + 10);
    const done = await startUpload(bytes, opts(fake), { retry: noWait }).done;
    expect(fake.object(done.id)).toEqual(bytes);
    expect([...fake.puts.entries()].sort((a, b) => a[0] - b[0])).toEqual([
      [1, 1],
      [2, 2],
      [3, 1],
    ]);
    // The ledger holds the CRCs of the local bytes.
    const ledger = [...fake.uploads.get(done.id)!.ledger.values()].sort((a, b) => a.partNumber - b.partNumber);
    expect(ledger.map((p) => p.crc64)).toEqual([
      crc64(bytes.subarray(0, big)).toString(),
      crc64(bytes.subarray(big, 2 * big)).toString(),
      crc64(bytes.subarray(2 * big)).toString(),
    ]);
  });

  it('a part COS keeps hashing differently fails with CRC64_MISMATCH once retries are spent', async () => {
    const fake = new FakeBackend({ partSize: big, cosFault: () => 'corrupt' });
    const err = await startUpload(testBytes(big), opts(fake), { retry: { ...noWait, retries: 2 } }).done.catch(
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ code: 'CRC64_MISMATCH', details: { partNumber: 1 } });
    expect(fake.putAttempts).toBe(3);
  });

  it('a PUT that fails before the hash is done is retried, not reported as unhandled', async () => {
    const fake = new FakeBackend({
      partSize: big,
      cosFault: ({ attempt }) => (attempt === 0 ? 'network' : undefined),
    });
    const bytes = testBytes(2 * big);
    const done = await startUpload(bytes, opts(fake), { retry: noWait }).done;
    expect(fake.object(done.id)).toEqual(bytes);
  });
});
