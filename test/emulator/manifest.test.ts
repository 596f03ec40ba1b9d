import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { type IncomingMessage, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { crc64 as wasmCrc64 } from 'crc64-ecma182.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCosEmulator } from '../../local/cos/server.ts';
import { authorization } from '../../shared/cos/signer.ts';
import {
  startTestEmulator,
  TEST_BUCKET,
  TEST_REGION,
  TEST_SECRET_ID,
  TEST_SECRET_KEY,
  type TestEmulator,
} from '../helpers/cos-emulator.ts';

/**
 * A completed multipart object is stored as a manifest of its part files, not a copy: Range reads
 * across part boundaries, HEAD, CRC and ETag, overwrite, delete, restart, and no file removed
 * while a download still streams it.
 */

const MiB = 1024 * 1024;
let t: TestEmulator;
beforeAll(async () => {
  t = await startTestEmulator();
});
afterAll(() => t.close());

const blobDir = () => join(t.dataDir, 'blobs');
const blobFiles = () => readdirSync(blobDir());
const bytesOnDisk = () => blobFiles().reduce((n, f) => n + statSync(join(blobDir(), f)).size, 0);

function crc64(data: Buffer): string {
  let acc = '0';
  for (let i = 0; i < data.length; i += MiB) acc = wasmCrc64(data.subarray(i, i + MiB), acc);
  return acc;
}

/** Uploads `parts` (plus, when given, an extra part left out of Complete) and completes `Key`. */
async function completeWith(Key: string, parts: Buffer[], unlisted?: Buffer) {
  const cos = t.cos();
  const { UploadId } = await cos.multipartInit({ ...t.target, Key, ContentType: 'application/x-test' });
  const etags: string[] = [];
  for (const [i, Body] of parts.entries()) {
    etags.push((await cos.multipartUpload({ ...t.target, Key, UploadId, PartNumber: i + 1, Body })).ETag);
  }
  if (unlisted) await cos.multipartUpload({ ...t.target, Key, UploadId, PartNumber: 99, Body: unlisted });
  return cos.multipartComplete({
    ...t.target,
    Key,
    UploadId,
    Parts: etags.map((ETag, i) => ({ PartNumber: i + 1, ETag })),
  });
}

const getRange = async (Key: string, Range: string) =>
  Buffer.from((await t.cos().getObject({ ...t.target, Key, Range })).Body as Buffer);

describe('completed multipart objects are manifests of their part files', () => {
  it('Complete copies no byte; GET with any Range, HEAD, CRC and ETag see the whole object', async () => {
    const parts = [randomBytes(MiB + 3), randomBytes(MiB), randomBytes(MiB + 1), randomBytes(5)];
    const whole = Buffer.concat(parts);
    const filesBefore = blobFiles().length;
    const diskBefore = bytesOnDisk();
    const done = await completeWith('m/ranges.bin', parts, randomBytes(100));
    expect(done.statusCode).toBe(200);
    // Exactly the listed parts' files remain (the unlisted part is gone) and no copy was written.
    expect(blobFiles().length).toBe(filesBefore + parts.length);
    expect(bytesOnDisk() - diskBefore).toBe(whole.length);

    const head = await t.cos().headObject({ ...t.target, Key: 'm/ranges.bin' });
    expect(head.headers?.['content-length']).toBe(String(whole.length));
    expect(head.headers?.['x-cos-hash-crc64ecma']).toBe(crc64(whole));
    expect(head.headers?.['content-type']).toBe('application/x-test');
    expect(head.ETag).toBe(done.ETag);
    const full = await t.cos().getObject({ ...t.target, Key: 'm/ranges.bin' });
    expect(Buffer.from(full.Body as Buffer).equals(whole)).toBe(true);

    const b1 = MiB + 3; // first byte of part 2
    const b3 = b1 + 2 * MiB + 1; // first byte of part 4
    const cases: [string, number, number][] = [
      [`bytes=${b1 - 1}-${b1}`, b1 - 1, b1 + 1], // straddles parts 1 and 2
      [`bytes=${b1}-${b1}`, b1, b1 + 1], // first byte of a part
      [`bytes=10-${b3 + 2}`, 10, b3 + 3], // spans all four parts
      [`bytes=${b1 + 7}-${b1 + 100}`, b1 + 7, b1 + 101], // inside one part
      ['bytes=-7', whole.length - 7, whole.length], // suffix: into the small last part
      [`bytes=${b3 - 2}-`, b3 - 2, whole.length], // open end
      [`bytes=${whole.length - 1}-${whole.length + 50}`, whole.length - 1, whole.length], // clamped
    ];
    for (const [range, from, to] of cases) {
      expect((await getRange('m/ranges.bin', range)).equals(whole.subarray(from, to)), range).toBe(true);
    }
  });

  it('overwriting, re-completing and deleting the key free the part files', async () => {
    const cos = t.cos();
    const filesBefore = blobFiles().length;
    await completeWith('m/replaced.bin', [randomBytes(MiB), randomBytes(10)]);
    expect(blobFiles().length).toBe(filesBefore + 2);
    const next = [randomBytes(MiB), randomBytes(MiB), randomBytes(1)];
    await completeWith('m/replaced.bin', next);
    expect(blobFiles().length).toBe(filesBefore + 3);
    expect(
      (await getRange('m/replaced.bin', `bytes=${MiB - 1}-${MiB}`)).equals(
        Buffer.concat(next).subarray(MiB - 1, MiB + 1),
      ),
    ).toBe(true);

    await cos.putObject({ ...t.target, Key: 'm/replaced.bin', Body: Buffer.from('simple now') });
    expect(blobFiles().length).toBe(filesBefore + 1);
    await completeWith('m/replaced.bin', [randomBytes(3)]);
    expect(blobFiles().length).toBe(filesBefore + 1);
    await cos.deleteObject({ ...t.target, Key: 'm/replaced.bin' });
    expect(blobFiles().length).toBe(filesBefore);
    await expect(cos.headObject({ ...t.target, Key: 'm/replaced.bin' })).rejects.toMatchObject({ statusCode: 404 });
  });

  it('a download that started before a DELETE gets every byte; the files go when it ends', async () => {
    const parts = Array.from({ length: 8 }, () => randomBytes(4 * MiB));
    const whole = Buffer.concat(parts);
    const filesBefore = blobFiles().length;
    await completeWith('m/streaming.bin', parts);
    const mine = blobFiles().length - filesBefore;
    expect(mine).toBe(8);

    const res = await rawGet('m/streaming.bin');
    expect(res.statusCode).toBe(200);
    res.pause(); // backpressure: 32 MiB cannot all sit in socket buffers, so the read is mid-way
    await t.cos().deleteObject({ ...t.target, Key: 'm/streaming.bin' });
    await expect(t.cos().headObject({ ...t.target, Key: 'm/streaming.bin' })).rejects.toMatchObject({
      statusCode: 404,
    });
    expect(blobFiles().length).toBeGreaterThan(filesBefore);
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    const ended = new Promise((r) => res.once('end', r));
    res.resume();
    await ended;
    expect(Buffer.concat(chunks).equals(whole)).toBe(true);
    for (let i = 0; i < 100 && blobFiles().length > filesBefore; i++) await new Promise((r) => setTimeout(r, 10));
    expect(blobFiles().length).toBe(filesBefore);
  });

  it('survives a restart; a restart deletes files no row names', async () => {
    const parts = [randomBytes(MiB), randomBytes(MiB), randomBytes(9)];
    const whole = Buffer.concat(parts);
    await completeWith('m/kept.bin', parts);
    const stray = join(blobDir(), 'left-over-by-a-crash');
    writeFileSync(stray, 'x');
    const files = blobFiles().length;
    await t.restart();
    expect(existsSync(stray)).toBe(false);
    expect(blobFiles().length).toBe(files - 1);
    const head = await t.cos().headObject({ ...t.target, Key: 'm/kept.bin' });
    expect(head.headers?.['x-cos-hash-crc64ecma']).toBe(crc64(whole));
    expect(
      (await getRange('m/kept.bin', `bytes=${MiB - 2}-${2 * MiB + 1}`)).equals(whole.subarray(MiB - 2, 2 * MiB + 2)),
    ).toBe(true);
  });
});

describe('data dirs from before manifests', () => {
  it('opens an objects table without the parts column; its objects read as before', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cos-emu-old-'));
    try {
      const db = new DatabaseSync(join(dir, 'meta.sqlite'));
      db.exec(`CREATE TABLE objects (
        bucket TEXT NOT NULL, key TEXT NOT NULL, blob TEXT NOT NULL, size INTEGER NOT NULL, etag TEXT NOT NULL,
        crc64 TEXT NOT NULL, headers TEXT NOT NULL, storage_class TEXT NOT NULL, last_modified INTEGER NOT NULL,
        PRIMARY KEY (bucket, key)) WITHOUT ROWID`);
      const body = Buffer.from('written by an older emulator');
      db.prepare('INSERT INTO objects VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)').run(
        TEST_BUCKET,
        'old.txt',
        'old-blob',
        body.length,
        '"x"',
        crc64(body),
        '{"content-type":"text/plain"}',
        'STANDARD',
        Date.now(),
      );
      db.close();
      mkdirSync(join(dir, 'blobs'));
      writeFileSync(join(dir, 'blobs', 'old-blob'), body);
      const emu = await startCosEmulator({
        port: 0,
        dataDir: dir,
        secretId: TEST_SECRET_ID,
        secretKey: TEST_SECRET_KEY,
        bucket: TEST_BUCKET,
        region: TEST_REGION,
      });
      try {
        const res = await rawGet('old.txt', emu.port);
        const chunks: Buffer[] = [];
        for await (const c of res) chunks.push(c as Buffer);
        expect(Buffer.concat(chunks).equals(body)).toBe(true);
      } finally {
        await emu.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** A signed GET through node:http, so the test controls backpressure with pause(). */
function rawGet(key: string, port = t.emulator.port): Promise<IncomingMessage> {
  const host = `127.0.0.1:${port}`;
  const now = Math.floor(Date.now() / 1000);
  const auth = authorization({
    secretId: TEST_SECRET_ID,
    secretKey: TEST_SECRET_KEY,
    method: 'GET',
    path: `/${key}`,
    headers: { host },
    startSeconds: now - 1,
    endSeconds: now + 600,
  });
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: `/${key}`, headers: { host, authorization: auth } }, resolve);
    req.on('error', reject);
    req.end();
  });
}
