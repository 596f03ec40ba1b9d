import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type COS from 'cos-nodejs-sdk-v5';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '../../local/stack.ts';
import { runCli } from '../../client/cli/run.ts';
import { appendUpload } from '../../client/upload.ts';
import { composeUpload } from '../../shared/core/compose-upload.ts';
import { runCompletion } from '../../shared/core/completion-worker.ts';
import type { CoreDeps } from '../../shared/core/deps.ts';
import { appendStagingKey } from '../../shared/core/keys.ts';
import type { ObjectStorage } from '../../shared/ports.ts';
import {
  type Answer,
  apiClient,
  bytesOf,
  crcOf,
  expectError,
  putPart,
  readyMultipart,
  settled,
  type UploadView,
} from '../helpers/api-client.ts';
import { getObjectBytes, headObject, officialCos } from '../helpers/official-cos.ts';
import { startTestDynamoDb } from '../helpers/dynamodb-local.ts';
import { startTestStack, type TestStack } from '../helpers/test-stack.ts';

/**
 * Compose (Upload Part - Copy of completed uploads) and append uploads (APPEND Object to a staging
 * object, sealed at complete) over HTTP against the local stack; the bytes are read back with the
 * official SDK.
 */

const MiB = 1024 * 1024;
const H = 3600_000;
const clock = { offsetMs: 0, now: () => new Date(Date.now() + clock.offsetMs) };

let testStack: TestStack | undefined;
let stack: LocalStack;
let alice: ReturnType<typeof apiClient>;
let bob: ReturnType<typeof apiClient>;
let admin: ReturnType<typeof apiClient>;
let cos: COS;

const at = () => ({ bucket: stack.bucket, region: stack.region });
const objectBytes = (key: string) => getObjectBytes(cos, stack.bucket, stack.region, key);
const exists = (key: string) =>
  headObject(cos, at(), key).then(
    () => true,
    (e: { statusCode?: number }) => (e.statusCode === 404 ? false : Promise.reject(e)),
  );

/** A completed single upload of `bytes`. */
async function completedSingle(api: ReturnType<typeof apiClient>, bytes: Uint8Array<ArrayBuffer>) {
  const up = (await api.create({ fileName: 'small.bin', size: bytes.length })).body.upload;
  const [url] = (await api.partUrls(up.id, { partNumbers: [1] })).body.urls;
  expect((await putPart(url!, bytes)).status).toBe(200);
  const done = await api.complete(up.id);
  expect(done.status, JSON.stringify(done.body)).toBe(200);
  return done.body.upload;
}

async function completedMultipart(api: ReturnType<typeof apiClient>, seed: number) {
  const { up, file } = await readyMultipart(api, seed);
  expect((await api.complete(up.id)).status).toBe(200);
  return { up, file };
}

/** 200 completed, or 202 then completed once the worker is done. */
async function finished(r: Answer<{ upload: UploadView }>): Promise<UploadView> {
  expect([200, 202], JSON.stringify(r.body)).toContain(r.status);
  if (r.status === 200) return r.body.upload;
  const { upload } = await settled(alice, r.body.upload.id);
  return upload;
}

const compose = (api: ReturnType<typeof apiClient>, body: Record<string, unknown>) =>
  api.call<{ upload: UploadView }>('POST', '/v1/uploads/compose', body);

describe.each(['sqlite', 'dynamodb'] as const)('with the %s store', (backend) => {
  let db: Awaited<ReturnType<typeof startTestDynamoDb>> | undefined;
  beforeAll(async () => {
    const storeEnv: Record<string, string> = {};
    if (backend === 'dynamodb') {
      db = await startTestDynamoDb();
      Object.assign(storeEnv, {
        UPLOADS_STORE: 'dynamodb',
        DYNAMODB_ENDPOINT: db.endpoint,
        UPLOADS_TABLE: 'compose-append',
      });
    }
    testStack = await startTestStack(`compose-append-${backend}`, {
      clock,
      env: { MAX_OPEN_UPLOADS_PER_OWNER: '1000', STALE_AFTER_SECONDS: String(24 * 3600), ...storeEnv },
    });
    stack = testStack.stack;
    alice = apiClient(stack.apiUrl, await stack.token('alice'));
    bob = apiClient(stack.apiUrl, await stack.token('bob'));
    admin = apiClient(stack.apiUrl, await stack.token('ops', { admin: true }));
    cos = officialCos(stack.cosUrl);
  }, 60_000);
  afterAll(async () => {
    await testStack?.stop();
    await db?.stop();
  });

  describe('compose', () => {
    it('concatenates three completed uploads (one by range) byte-exact; whole sources verify the CRC64', async () => {
      const a = await completedMultipart(alice, 1);
      const b = await completedMultipart(alice, 2);
      const cBytes = bytesOf(700_000, 3);
      const c = await completedSingle(alice, cBytes);
      const range = { start: 100, end: 100 + MiB + 5 };
      const up = await finished(
        await compose(alice, {
          fileName: 'joined.bin',
          contentType: 'video/mp4',
          metadata: { album: '2026' },
          sources: [{ uploadId: a.up.id }, { uploadId: b.up.id, range }, { uploadId: c.id }],
        }),
      );
      const expected = Buffer.concat([a.file, b.file.subarray(range.start, range.end + 1), cBytes]);
      expect(up).toMatchObject({ state: 'completed', size: expected.length, partCount: 3, crc64Verified: false });
      expect((await objectBytes(up.key)).equals(expected)).toBe(true);
      const head = await headObject(cos, at(), up.key);
      expect([head.headers['content-type'], head.headers['x-cos-meta-album']]).toEqual(['video/mp4', '2026']);

      const whole = await finished(
        await compose(alice, { fileName: 'whole.bin', sources: [{ uploadId: a.up.id }, { uploadId: c.id }] }),
      );
      const wholeBytes = Buffer.concat([a.file, cBytes]);
      expect(whole).toMatchObject({ state: 'completed', crc64: crcOf(wholeBytes), crc64Verified: true });
      expect((await objectBytes(whole.key)).equals(wholeBytes)).toBe(true);
    });

    it('an Idempotency-Key makes one compose: the same 202 bytes again, marked replayed; another body is 422', async () => {
      const bytes = bytesOf(300_000, 11);
      const source = await completedSingle(alice, bytes);
      const token = await stack.token('alice');
      const send = (body: Record<string, unknown>) =>
        fetch(`${stack.apiUrl}/v1/uploads/compose`, {
          method: 'POST',
          headers: {
            authorization: `Bearer ${token}`,
            'content-type': 'application/json',
            'idempotency-key': `compose-${backend}`,
          },
          body: JSON.stringify(body),
        });
      const body = { fileName: 'keyed.bin', sources: [{ uploadId: source.id }] };
      const first = await send(body);
      const firstText = await first.text();
      // Under a key the answer is fixed when the upload is created: accepted, before any copy ran.
      expect(first.status, firstText).toBe(202);
      expect(first.headers.get('retry-after')).toBe('5');
      const again = await send(body);
      expect(again.status).toBe(202);
      expect(await again.text()).toBe(firstText);
      expect(again.headers.get('idempotent-replayed')).toBe('true');
      const reused = await send({ ...body, fileName: 'other.bin' });
      expect(reused.status).toBe(422);
      expect(((await reused.json()) as { error: { code: string } }).error.code).toBe('IDEMPOTENCY_KEY_REUSED');

      const { id } = (JSON.parse(firstText) as { upload: UploadView }).upload;
      const { upload } = await settled(alice, id);
      expect(upload.state).toBe('completed');
      expect((await objectBytes(upload.key)).equals(Buffer.from(bytes))).toBe(true);
      const listed = await admin.call<{ uploads: { fileName: string }[] }>(
        'GET',
        '/v1/admin/uploads?owner=alice&limit=1000',
      );
      expect(listed.body.uploads.filter((u) => u.fileName === 'keyed.bin')).toHaveLength(1);
      expect(listed.body.uploads.filter((u) => u.fileName === 'other.bin')).toHaveLength(0);
    });

    it("another owner's source or an unknown one is 404 naming nothing; nothing is created", async () => {
      const mine = await completedSingle(alice, bytesOf(10, 4));
      const theirs = await completedSingle(bob, bytesOf(10, 5));
      const before = (await admin.call<{ uploads: unknown[] }>('GET', '/v1/admin/uploads?owner=alice')).body.uploads;
      for (const other of [theirs.id, 'upl_00000000000000000000000000']) {
        const r = await compose(alice, { fileName: 'x', sources: [{ uploadId: other }, { uploadId: mine.id }] });
        expectError(r, 404, 'NOT_FOUND');
        expect(JSON.stringify(r.body)).not.toContain(other);
      }
      const after = (await admin.call<{ uploads: unknown[] }>('GET', '/v1/admin/uploads?owner=alice')).body.uploads;
      expect(after.length).toBe(before.length);
    });

    it('a source gone from COS: 409 PARTS_INVALID, the compose stays open, takes no client parts, and can be aborted', async () => {
      const a = await completedMultipart(alice, 31);
      const gone = await completedSingle(alice, bytesOf(2000, 32));
      await new Promise((resolve, reject) =>
        cos.deleteObject({ Bucket: stack.bucket, Region: stack.region, Key: gone.key }, (e) =>
          e ? reject(e) : resolve(null),
        ),
      );
      const r = await compose(alice, {
        fileName: 'broken.bin',
        sources: [{ uploadId: a.up.id }, { uploadId: gone.id }],
      });
      expectError(r, 409, 'PARTS_INVALID');
      // The error names the compose it created, which stays open with the same error.
      const id = (r.body as unknown as { error: { details: { uploadId: string } } }).error.details.uploadId;
      const broken = (await alice.get(id)).body.upload;
      expect(broken).toMatchObject({ state: 'open', fileName: 'broken.bin' });
      expect(broken.lastError?.code).toBe('PARTS_INVALID');
      expectError(await alice.partUrls(broken.id, { partNumbers: [2] }), 400, 'VALIDATION_FAILED');
      expect((await alice.abort(broken.id)).status).toBe(204);
    });

    it('a 512 KiB source that is not last is 400 naming it; a source not completed is 409', async () => {
      const a = await completedMultipart(alice, 6);
      const small = await completedSingle(alice, bytesOf(512 * 1024, 7));
      const r = await compose(alice, {
        fileName: 'x',
        sources: [{ uploadId: a.up.id }, { uploadId: small.id }, { uploadId: a.up.id }],
      });
      expectError(r, 400, 'VALIDATION_FAILED');
      const issues = (r.body as unknown as { error: { details: { issues: { path: unknown[] }[] } } }).error.details
        .issues;
      expect(issues.map((i) => i.path)).toEqual([['body', 'sources', 1]]);
      // Last, it may be small.
      expect([200, 202]).toContain(
        (await compose(alice, { fileName: 'y', sources: [{ uploadId: a.up.id }, { uploadId: small.id }] })).status,
      );
      const open = (await alice.create({ fileName: 'open.bin', size: 10 })).body.upload;
      expectError(
        await compose(alice, { fileName: 'z', sources: [{ uploadId: open.id }] }),
        409,
        'UPLOAD_NOT_COMPLETED',
      );
      const past = { start: 0, end: a.file.length };
      expectError(
        await compose(alice, { fileName: 'z', sources: [{ uploadId: a.up.id, range: past }] }),
        400,
        'VALIDATION_FAILED',
      );
    });
  });

  /** Deterministic sizes from 1 byte to 3 MiB. */
  function pieceSizes(n: number, seed: number): number[] {
    let x = seed;
    return Array.from({ length: n }, (_, i) => {
      x = (x * 1103515245 + 12345) % 2 ** 31;
      // A few tiny ones for sure: the point of append is pieces of any size.
      return i % 9 === 0 ? 1 + (x % 7) : 1 + (x % (3 * MiB));
    });
  }

  const appendUrl = (id: string, body: Record<string, unknown>) =>
    alice.call<{ method: 'POST'; url: string; headers: Record<string, string> }>(
      'POST',
      `/v1/uploads/${id}/append-url`,
      body,
    );

  async function appendPiece(id: string, position: number, piece: Uint8Array<ArrayBuffer>) {
    const r = await appendUrl(id, { position, size: piece.length });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    const res = await fetch(r.body.url, { method: 'POST', headers: r.body.headers, body: piece });
    expect(res.status, await res.clone().text()).toBe(200);
    expect(res.headers.get('x-cos-next-append-position')).toBe(String(position + piece.length));
    return r.body;
  }

  describe('append uploads', () => {
    it("the first piece's URL (position 0) lives at most 5 minutes, the next pieces' the usual URL lifetime", async () => {
      const up = (await alice.create({ fileName: 'short.m4a', mode: 'append' })).body.upload;
      const life = (b: { expiresAt: string }) => (Date.parse(b.expiresAt) - Date.now()) / 1000;
      const first = (await appendUrl(up.id, { position: 0, size: 4 })).body as unknown as { expiresAt: string };
      expect(life(first)).toBeLessThanOrEqual(300);
      expect(life(first)).toBeGreaterThan(290);
      await appendPiece(up.id, 0, bytesOf(4, 1));
      const next = (await appendUrl(up.id, { position: 4, size: 4 })).body as unknown as { expiresAt: string };
      expect(life(next)).toBeGreaterThan(stack.config.URL_EXPIRES_SECONDS - 10);
      expect((await alice.abort(up.id)).status).toBe(204);
    });

    it('37 pieces of 1 byte to 3 MiB become one ordinary object, byte-exact and CRC64-verified', async () => {
      const created = await alice.create({ fileName: 'memo.m4a', mode: 'append', contentType: 'audio/mp4' });
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      const up = created.body.upload;
      expect(up).toMatchObject({ strategy: 'append', size: null, state: 'open' });
      const pieces = pieceSizes(37, 11).map((n, i) => bytesOf(n, 100 + i));
      let position = 0;
      for (const piece of pieces) {
        await appendPiece(up.id, position, piece);
        position += piece.length;
      }
      // A wrong position: the contract error, and nothing changed.
      const wrong = await appendUrl(up.id, { position: position - 1, size: 1 });
      expectError(wrong, 409, 'APPEND_POSITION_MISMATCH');
      expect((wrong.body as unknown as { error: { details: unknown } }).error.details).toEqual({
        expected: position - 1,
        actual: position,
      });
      expect(Number((await headObject(cos, at(), appendStagingKey(up.key))).headers['content-length'])).toBe(position);
      // A URL for the next piece, issued now and used after complete.
      const late = (await appendUrl(up.id, { position, size: 3 })).body;

      const done = await finished(await alice.complete(up.id));
      const all = Buffer.concat(pieces);
      expect(done).toMatchObject({ state: 'completed', size: all.length, crc64: crcOf(all), crc64Verified: true });
      expect((await objectBytes(up.key)).equals(all)).toBe(true);
      const head = await headObject(cos, at(), up.key);
      expect(head.headers['x-cos-object-type']).toBeUndefined();
      expect(head.headers['content-type']).toBe('audio/mp4');
      expect(await exists(appendStagingKey(up.key))).toBe(false);

      // The late URL changes nothing on the final object.
      const res = await fetch(late.url, { method: 'POST', headers: late.headers, body: new Uint8Array([1, 2, 3]) });
      expect(res.status).toBe(409);
      expect((await objectBytes(up.key)).equals(all)).toBe(true);
      expectError(await appendUrl(up.id, { position: 0, size: 1 }), 409, 'UPLOAD_NOT_OPEN');
    });

    it('refuses a position + size over maxSize, parts routes, and a size at create', async () => {
      const up = (await alice.create({ fileName: 'cap.log', mode: 'append', maxSize: 100 })).body.upload;
      expectError(await appendUrl(up.id, { position: 0, size: 101 }), 413, 'UPLOAD_TOO_LARGE');
      expectError(await alice.partUrls(up.id, { partNumbers: [1] }), 400, 'VALIDATION_FAILED');
      expectError(await alice.create({ fileName: 'x', mode: 'append', size: 10 }), 400, 'VALIDATION_FAILED');
      expectError(
        await alice.create({ fileName: 'x', mode: 'append', maxSize: 5 * 1024 ** 3 + 1 }),
        413,
        'UPLOAD_TOO_LARGE',
      );
    });

    it('an empty append upload completes as an empty object', async () => {
      const up = (await alice.create({ fileName: 'empty.log', mode: 'append' })).body.upload;
      const done = await finished(await alice.complete(up.id));
      expect(done).toMatchObject({ state: 'completed', size: 0, crc64: '0' });
      expect((await objectBytes(up.key)).length).toBe(0);
    });

    it('abort and the sweep leave no staging object', async () => {
      const aborted = (await alice.create({ fileName: 'a.log', mode: 'append' })).body.upload;
      await appendPiece(aborted.id, 0, bytesOf(1000, 1));
      expect(await exists(appendStagingKey(aborted.key))).toBe(true);
      expect((await alice.abort(aborted.id)).status).toBe(204);
      expect(await exists(appendStagingKey(aborted.key))).toBe(false);

      const stale = (await alice.create({ fileName: 's.log', mode: 'append' })).body.upload;
      await appendPiece(stale.id, 0, bytesOf(1000, 2));
      clock.offsetMs = 25 * H;
      try {
        const r = await admin.call<{ aborted: string[] }>('POST', '/v1/admin/sweep', {});
        expect(r.status, JSON.stringify(r.body)).toBe(200);
        expect(r.body.aborted).toContain(stale.id);
      } finally {
        clock.offsetMs = 0;
      }
      expect(await exists(appendStagingKey(stale.key))).toBe(false);
      expect((await alice.get(stale.id)).body.upload.state).toBe('aborted');
    });
  });

  // The runs below are the only workers on SQLite; on DynamoDB the stack's stream poller would start
  // its own as soon as the upload enters completing, so this one is about the worker, on SQLite.
  if (backend === 'sqlite') {
    describe('a compose whose worker dies half way', () => {
      it('is finished by the next worker, which copies only the parts COS does not list yet', async () => {
        const sources = [await completedMultipart(alice, 21), await completedMultipart(alice, 22)];
        const small = bytesOf(1000, 23);
        const last = await completedSingle(alice, small);
        const copied: number[][] = [[], []];
        let run = 0;
        const offset = { ms: 0 };
        // The stack's own store and COS client; no trigger (the runs below are the workers), no wait.
        const deps = (crashOn: number | null): CoreDeps => ({
          ...stack.deps,
          limits: { ...stack.deps.limits, completeWaitSeconds: 0 },
          completions: { started: () => undefined },
          clock: { now: () => new Date(Date.now() + offset.ms) },
          storage: new Proxy(stack.deps.storage, {
            get(target, name) {
              if (name === 'uploadPartCopy') {
                return async (...args: Parameters<ObjectStorage['uploadPartCopy']>) => {
                  copied[run]!.push(args[2]);
                  // A crash (not a COS answer): the worker keeps its lease, as a killed process would.
                  if (args[2] === crashOn) throw new Error('worker killed');
                  return target.uploadPartCopy(...args);
                };
              }
              const v: unknown = Reflect.get(target, name);
              return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
            },
          }),
        });
        const started = await composeUpload(deps(null), 'alice', {
          fileName: 'resumed.bin',
          sources: [{ uploadId: sources[0]!.up.id }, { uploadId: sources[1]!.up.id }, { uploadId: last.id }],
        });
        expect(started.done).toBe(false);
        const id = started.upload.id;
        await expect(runCompletion(deps(2), id)).rejects.toThrow('worker killed');
        expect((await alice.get(id)).body.upload.state).toBe('completing');
        // Its lease runs out; the next worker takes over.
        run = 1;
        offset.ms = 2 * H;
        expect(await runCompletion(deps(null), id)).toBe('completed');
        expect(copied[0]!.sort()).toEqual([1, 2, 3]);
        expect(copied[1]).toEqual([2]);
        const up = (await alice.get(id)).body.upload;
        expect((await objectBytes(up.key)).equals(Buffer.concat([sources[0]!.file, sources[1]!.file, small]))).toBe(
          true,
        );
        expect(up.crc64Verified).toBe(true);
      });
    });
  }

  describe('the client SDK', () => {
    it('appendUpload sends a growing source piece by piece and completes it', async () => {
      const pieces = pieceSizes(12, 5).map((n, i) => bytesOf(Math.min(n, 300_000), 300 + i));
      const seen: number[] = [];
      async function* growing() {
        for (const p of pieces) {
          await new Promise((r) => setTimeout(r, 5));
          yield p;
        }
      }
      const done = await appendUpload(growing(), {
        baseUrl: stack.apiUrl,
        token: await stack.token('alice'),
        fileName: 'log.txt',
        contentType: 'text/plain',
        onAppended: (n) => seen.push(n),
      });
      const all = Buffer.concat(pieces);
      expect(done).toMatchObject({ state: 'completed', strategy: 'append', size: all.length, crc64: crcOf(all) });
      expect(seen.at(-1)).toBe(all.length);
      expect((await objectBytes(done.key)).equals(all)).toBe(true);
    });
  });

  describe('npm run upload -- --append', () => {
    const run = async (argv: string[], stdin?: AsyncIterable<Uint8Array>) => {
      let out = '';
      let err = '';
      const code = await runCli([...argv, '--api', stack.apiUrl, '--token', await stack.token('alice')], {
        env: {},
        stdout: (s) => (out += s),
        stderr: (s) => (err += s),
        stderrIsTty: false,
        interrupt: new AbortController().signal,
        stdin,
      });
      expect(code, err).toBe(0);
      return JSON.parse(out) as { key: string; size: number };
    };

    it('reads stdin to EOF', async () => {
      const chunks = Array.from({ length: 40 }, (_, i) => bytesOf(64 * 1024, 500 + i));
      const done = await run(
        ['--append', '-'],
        (async function* () {
          yield* chunks;
        })(),
      );
      expect((await objectBytes(done.key)).equals(Buffer.concat(chunks))).toBe(true);
    });

    it('follows a growing file until it stops growing for --idle-seconds', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'append-cli-'));
      const path = join(dir, 'rec.log');
      writeFileSync(path, bytesOf(1000, 1));
      const later = bytesOf(70_000, 2);
      const grow = setTimeout(() => appendFileSync(path, later), 400);
      try {
        const done = await run(['--append', path, '--idle-seconds', '1']);
        expect((await objectBytes(done.key)).equals(Buffer.concat([bytesOf(1000, 1), later]))).toBe(true);
      } finally {
        clearTimeout(grow);
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
});
