import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiClient } from '../../client/upload.ts';
import { storageUnavailable } from '../../shared/errors.ts';
import type { LocalStack } from '../../local/stack.ts';
import type {
  CompleteBatchResponse,
  CreateBatchResponse,
  CreateUploadResponse,
} from '../../shared/api/response-schemas.ts';
import { type Answer, apiClient, bytesOf, crcOf, expectError, putPart, settled } from '../helpers/api-client.ts';
import { startTestDynamoDb } from '../helpers/dynamodb-local.ts';
import { officialCos, sdk } from '../helpers/official-cos.ts';
import { startTestStack, type TestStack } from '../helpers/test-stack.ts';

/**
 * docs/API.md "POST /v1/uploads" (`presign`, `dedupe`), "POST /v1/uploads/batch" and
 * "POST /v1/uploads/batch-complete", over HTTP against the emulator, on both stores: a phone
 * backing up hundreds of small files pays round trips, not bytes.
 */

const QUOTA = 120;
const MiB = 1024 * 1024;
type Api = ReturnType<typeof apiClient>;
type CreateItem = CreateBatchResponse['results'][number];
type CompleteItem = CompleteBatchResponse['results'][number];

const isError = (r: CreateItem | CompleteItem): r is Extract<CreateItem, { error: unknown }> => 'error' in r;
const createBatch = (api: Api, uploads: unknown[]) =>
  api.call<CreateBatchResponse>('POST', '/v1/uploads/batch', { uploads });
const completeBatch = (api: Api, ids: string[]) =>
  api.call<CompleteBatchResponse>('POST', '/v1/uploads/batch-complete', { ids });
const created = (r: CreateItem) => {
  if (isError(r)) throw new Error(`item failed: ${JSON.stringify(r.error)}`);
  return r as CreateUploadResponse;
};

for (const kind of ['sqlite', 'dynamodb'] as const) {
  describe(`many files at once (${kind})`, () => {
    let testStack: TestStack | undefined;
    let db: { endpoint: string; stop(): Promise<void> } | undefined;
    let stack: LocalStack;
    const cos = () => officialCos(stack.cosUrl);
    const as = async (sub: string) => apiClient(stack.apiUrl, await stack.token(sub));

    /**
     * Every multipart upload and object the emulator holds. It emulates no GET Bucket, so this reads
     * its metadata file (read-only); ListMultipartUploads through the SDK agrees on the uploads.
     */
    async function cosListing() {
      const listed = await sdk<{ Upload?: { UploadId: string }[] }>(cos().multipartList.bind(cos()) as never, {
        Bucket: stack.bucket,
        Region: stack.region,
        MaxUploads: 1000,
      });
      const meta = new DatabaseSync(join(testStack!.dataDir, 'cos', 'meta.sqlite'), { readOnly: true });
      try {
        const uploads = meta.prepare('SELECT upload_id AS id FROM uploads ORDER BY upload_id').all();
        const objects = meta.prepare('SELECT key, etag FROM objects ORDER BY key').all();
        const ids = uploads.map((u) => String(u.id));
        if (ids.length < 1000) expect((listed.Upload ?? []).map((u) => u.UploadId).sort()).toEqual([...ids].sort());
        return { uploads: ids, objects: objects.map((o) => `${String(o.key)} ${String(o.etag)}`) };
      } finally {
        meta.close();
      }
    }

    /** create (with presign 1) + PUT + complete of one small file; returns the completed upload. */
    async function uploadSmall(api: Api, body: Record<string, unknown>, file: Uint8Array<ArrayBuffer>) {
      const r = await api.create({ size: file.length, crc64: crcOf(file), presign: 1, ...body });
      expect(r.status, JSON.stringify(r.body)).toBe(201);
      const { upload, urls } = r.body as CreateUploadResponse;
      expect((await putPart(urls![0]!, file)).status).toBe(200);
      expect((await api.complete(upload.id)).status).toBe(200);
      return upload;
    }

    beforeAll(async () => {
      const env: Record<string, string> = { MAX_OPEN_UPLOADS_PER_OWNER: String(QUOTA) };
      if (kind === 'dynamodb') {
        db = await startTestDynamoDb();
        Object.assign(env, { UPLOADS_STORE: 'dynamodb', DYNAMODB_ENDPOINT: db.endpoint, UPLOADS_TABLE: 'batch' });
      }
      testStack = await startTestStack(`upload-batch-${kind}`, { env, streamTrigger: { pollMs: 50 } });
      stack = testStack.stack;
    }, 120_000);
    afterAll(async () => {
      await testStack?.stop();
      await db?.stop();
    });

    it('100 creates with presign 1 in one call; each PUT, then one batch-complete: all completed', async () => {
      const api = await as('hundred');
      const files = Array.from({ length: 100 }, (_, i) => bytesOf(100 + i, i + 1));
      const res = await createBatch(
        api,
        files.map((f, i) => ({ fileName: `img_${i}.jpg`, size: f.length, crc64: crcOf(f), presign: 1 })),
      );
      expect(res.status).toBe(200);
      const sessions = res.body.results.map(created);
      expect(sessions).toHaveLength(100);
      expect(new Set(sessions.map((s) => s.upload.id)).size).toBe(100);
      sessions.forEach((s, i) => {
        expect(s.upload.fileName).toBe(`img_${i}.jpg`);
        expect(s.urls!.map((u) => u.partNumber)).toEqual([1]);
        // No URL outlives its upload, as part-urls promises.
        expect(s.urls![0]!.expiresAt <= s.upload.expiresAt).toBe(true);
      });
      await Promise.all(sessions.map(async (s, i) => expect((await putPart(s.urls![0]!, files[i]!)).status).toBe(200)));

      const done = await completeBatch(
        api,
        sessions.map((s) => s.upload.id),
      );
      expect(done.status).toBe(200);
      expect(done.body.results).toHaveLength(100);
      done.body.results.forEach((r, i) => {
        if (isError(r)) throw new Error(`complete item ${i}: ${JSON.stringify(r.error)}`);
        expect(r.upload.id).toBe(sessions[i]!.upload.id);
        expect(['completed', 'completing']).toContain(r.upload.state);
      });
      // In-process workers (SQLite) finish within the wait; a stream-started one may still be merging.
      if (kind === 'sqlite')
        expect(done.body.results.every((r) => !isError(r) && r.upload.state === 'completed')).toBe(true);
      for (const s of sessions) expect((await settled(api, s.upload.id)).upload.state).toBe('completed');
      const left = new Set((await cosListing()).uploads);
      expect(sessions.filter((s) => left.has(s.upload.cosUploadId!))).toEqual([]);
    }, 120_000);

    it('a batch crossing the quota fails only the items past it; an invalid or 0-byte item takes no slot', async () => {
      const api = await as('quota');
      const first = await createBatch(
        api,
        Array.from({ length: 100 }, (_, i) => ({ fileName: `a${i}.bin`, size: 10 })),
      );
      expect(first.body.results.filter(isError)).toEqual([]);
      const before = await cosListing();
      // 20 slots left; item 5 is invalid and item 7 is a 0-byte file: neither needs one.
      const items: unknown[] = Array.from({ length: 30 }, (_, i) => ({ fileName: `b${i}.bin`, size: 10 }));
      items[5] = { fileName: 'bad.bin', size: -1 };
      items[7] = { fileName: 'empty.bin', size: 0 };
      const second = await createBatch(api, items);
      expect(second.status).toBe(200);
      const results = second.body.results;
      expect(results).toHaveLength(30);
      const codes = results.map((r) => (isError(r) ? r.error.code : r.upload.state));
      expect(codes[5]).toBe('VALIDATION_FAILED');
      expect(codes[7]).toBe('completed');
      const open = codes.flatMap((c, i) => (c === 'open' ? [i] : []));
      const refused = codes.flatMap((c, i) => (c === 'TOO_MANY_OPEN_UPLOADS' ? [i] : []));
      expect(open).toEqual([0, 1, 2, 3, 4, 6, ...Array.from({ length: 14 }, (_, k) => 8 + k)]);
      expect(refused).toEqual([22, 23, 24, 25, 26, 27, 28, 29]);
      const refusal = results[22]!;
      expect(isError(refusal) && refusal.error.details).toEqual({ limit: QUOTA });
      // The refused items cost no COS call: exactly 20 more multipart uploads, one more object.
      const after = await cosListing();
      expect(after.uploads.length - before.uploads.length).toBe(20);
      expect(after.objects.length - before.objects.length).toBe(1);
    }, 60_000);

    it('at most 8 COS Initiates in flight; one that COS fails fails its item alone (STORAGE_UNAVAILABLE)', async () => {
      const api = await as('bounded');
      const storage = stack.deps.storage;
      const original = storage.initiateMultipart.bind(storage);
      let inFlight = 0;
      let most = 0;
      storage.initiateMultipart = async (key, opts) => {
        inFlight++;
        most = Math.max(most, inFlight);
        try {
          await new Promise((r) => setTimeout(r, 20));
          if (key.endsWith('/fail.bin')) throw storageUnavailable('injected');
          return await original(key, opts);
        } finally {
          inFlight--;
        }
      };
      try {
        const items = Array.from({ length: 40 }, (_, i) => ({
          fileName: i === 3 ? 'fail.bin' : `c${i}.bin`,
          size: 10,
        }));
        const res = await createBatch(api, items);
        expect(res.status).toBe(200);
        const codes = res.body.results.map((r) => (isError(r) ? r.error.code : r.upload.state));
        expect(codes).toEqual(items.map((_, i) => (i === 3 ? 'STORAGE_UNAVAILABLE' : 'open')));
        // A 5xx item says no more than its route would (no details).
        expect(res.body.results[3]).toEqual({
          error: { code: 'STORAGE_UNAVAILABLE', message: 'injected', details: {} },
        });
        // Bounded, and still concurrent (lanes drift apart on their store reads, so not always exactly 8).
        expect(most).toBeLessThanOrEqual(8);
        expect(most).toBeGreaterThan(1);
      } finally {
        storage.initiateMultipart = original;
      }
    });

    it('Idempotency-Key on a batch: sent again it replays every item and creates nothing; a changed item is refused alone', async () => {
      const token = await stack.token('keyed');
      const send = async (uploads: unknown[], key: string) => {
        const res = await fetch(`${stack.apiUrl}/v1/uploads/batch`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'idempotency-key': key },
          body: JSON.stringify({ uploads }),
        });
        return {
          status: res.status,
          replayed: res.headers.get('idempotent-replayed'),
          body: (await res.json()) as CreateBatchResponse,
        };
      };
      const uploads = Array.from({ length: 5 }, (_, i) => ({ fileName: `k${i}.bin`, size: 10, presign: 1 }));
      const first = await send(uploads, 'batch-key-1');
      expect(first.status).toBe(200);
      expect(first.replayed).toBeNull();
      const ids = first.body.results.map((r) => created(r).upload.id);
      const before = await cosListing();
      const again = await send(uploads, 'batch-key-1');
      expect(again.replayed).toBe('true');
      expect(again.body).toEqual(first.body);
      expect(await cosListing()).toEqual(before);
      expect(await stack.deps.store.countOpenByOwner('keyed')).toBe(5);
      // Another body under the same key: the changed item alone is refused, the rest replay.
      const changed = uploads.map((u, i) => (i === 2 ? { ...u, size: 11 } : u));
      const third = await send(changed, 'batch-key-1');
      expect(third.replayed).toBeNull();
      const codes = third.body.results.map((r) => (isError(r) ? r.error.code : r.upload.id));
      expect(codes).toEqual(ids.map((id, i) => (i === 2 ? 'IDEMPOTENCY_KEY_REUSED' : id)));
      // Another key is another batch.
      const other = await send(uploads, 'batch-key-2');
      expect(other.body.results.map((r) => created(r).upload.id).some((id) => ids.includes(id))).toBe(false);
    });

    it('per-item errors keep their order and name fields relative to the item; a bad envelope is a 400', async () => {
      const api = await as('errors');
      const res = await createBatch(api, [
        { fileName: 'ok-1.bin', size: 5 },
        { fileName: '' },
        { fileName: 'a.bin', size: 'big', extra: 1 },
        'not an object',
        { fileName: 'p.bin', size: 10, presign: 2 },
        { fileName: 'd.bin', size: 10, dedupe: true },
        { fileName: 't.bin', size: 10, partSize: 0 },
        { fileName: 'ok-2.bin', size: 5, presign: 1 },
      ]);
      expect(res.status).toBe(200);
      const r = res.body.results;
      expect(created(r[0]!).upload.fileName).toBe('ok-1.bin');
      const issues = (i: number) => {
        const item = r[i]!;
        if (!isError(item)) throw new Error(`item ${i} should have failed`);
        expect(item.error.code, JSON.stringify(item.error)).toBe('VALIDATION_FAILED');
        return (item.error.details.issues as { path: unknown[] }[]).map((x) => x.path);
      };
      expect(new Set(issues(1).map((p) => p.join('.')))).toEqual(new Set(['fileName']));
      expect(issues(2)).toEqual(expect.arrayContaining([['size'], []]));
      expect(issues(3)).toEqual([[]]);
      expect(issues(4)).toEqual([['presign']]);
      expect(issues(5)).toEqual([['dedupe']]);
      expect(issues(6)).toEqual([['partSize']]);
      expect(created(r[7]!).urls).toHaveLength(1);

      for (const body of [{}, { uploads: [] }, { uploads: 'x' }, { uploads: Array(101).fill({ fileName: 'x' }) }]) {
        const bad = await api.call('POST', '/v1/uploads/batch', body);
        expectError(bad, 400, 'VALIDATION_FAILED');
      }
      for (const body of [{ ids: [] }, { ids: ['upl_nope'] }, { ids: Array(2).fill(created(r[0]!).upload.id) }]) {
        expectError(await api.call('POST', '/v1/uploads/batch-complete', body), 400, 'VALIDATION_FAILED');
      }
    });

    it('a maximal batch body (100 items, longest fileNames and metadata) is not too large', async () => {
      const api = await as('maximal');
      // Values of `"` are escaped to two bytes each: the largest JSON 2 KB of metadata can be.
      const metadata = Object.fromEntries(
        Array.from({ length: 10 }, (_, i) => [`k${i}`, 'a'.concat('"'.repeat(180), 'a')]),
      );
      const uploads = Array.from({ length: 100 }, (_, i) => ({
        fileName: `${i}`.padEnd(255, '\u0001'),
        size: 1,
        contentType: 'text/plain; x="'.padEnd(255, '"'),
        metadata,
        crc64: '18446744073709551615',
        presign: 0,
        dedupe: false,
      }));
      const body = JSON.stringify({ uploads });
      expect(body.length).toBeGreaterThan(500_000);
      const res = await createBatch(api, uploads);
      expect(res.status, JSON.stringify(res.body).slice(0, 500)).toBe(200);
    });

    it('batch-complete: each id as complete would answer it, in order; another owner’s id is NOT_FOUND, for admins too', async () => {
      const api = await as('completer');
      const file = bytesOf(300, 9);
      const ready = created(
        (await createBatch(api, [{ fileName: 'r.bin', size: file.length, crc64: crcOf(file), presign: 1 }])).body
          .results[0]!,
      );
      expect((await putPart(ready.urls![0]!, file)).status).toBe(200);
      const empty = (await api.create({ fileName: 'never-sent.bin', size: 10 })).body.upload;
      const other = (await (await as('someone-else')).create({ fileName: 'o.bin', size: 10 })).body.upload;
      const ids = [other.id, ready.upload.id, empty.id, 'upl_00000000000000000000000000'];
      const res = await completeBatch(api, ids);
      const summary = res.body.results.map((r) => (isError(r) ? r.error.code : r.upload.state));
      expect(summary[0]).toBe('NOT_FOUND');
      expect(['completed', 'completing']).toContain(summary[1]);
      expect(summary.slice(2)).toEqual(['PARTS_INVALID', 'NOT_FOUND']);
      const invalid = res.body.results[2]!;
      expect(isError(invalid) && invalid.error.details).toMatchObject({ missing: [1] });
      // The admin role reads any upload but completes only its own, as on complete.
      const admin = apiClient(stack.apiUrl, await stack.token('admin-1', { admin: true }));
      const byAdmin = await completeBatch(admin, [other.id]);
      expect(byAdmin.body.results.map((r) => isError(r) && r.error.code)).toEqual(['NOT_FOUND']);
      expect((await api.get(empty.id)).body.upload.state).toBe('open');
    });

    it('dedupe: the same file again is the same upload and nothing in COS; a change of byte, name or profile, or a deleted object, is a new one', async () => {
      const api = await as('deduper');
      const file = bytesOf(4000, 42);
      const body = { fileName: 'IMG_0001.HEIC', contentType: 'image/heic', dedupe: true };
      const first = await uploadSmall(api, body, file);
      const same = { ...body, size: file.length, crc64: crcOf(file), presign: 1 };

      const before = await cosListing();
      const again = (await api.create(same)) as Answer<CreateUploadResponse>;
      expect(again.status).toBe(200);
      expect(again.body.deduplicated).toBe(true);
      expect(again.body.urls).toBeUndefined();
      expect(again.body.upload).toMatchObject({ id: first.id, state: 'completed' });
      // In a batch too, and the quota is untouched.
      const inBatch = created((await createBatch(api, [same])).body.results[0]!);
      expect(inBatch).toMatchObject({ deduplicated: true, upload: { id: first.id } });
      expect(await cosListing()).toEqual(before);
      expect(await stack.deps.store.countOpenByOwner('deduper')).toBe(0);

      // One changed byte: another CRC64, another upload.
      const changed = file.slice();
      changed[0] = changed[0]! ^ 1;
      const other = await api.create({ ...same, crc64: crcOf(changed) });
      expect(other.status).toBe(201);
      expect(other.body.upload.id).not.toBe(first.id);
      // Another name: another upload.
      const renamed = await api.create({ ...same, fileName: 'IMG_0002.HEIC' });
      expect(renamed.status).toBe(201);
      // Another profile: the same bytes under a profile are not this (profile-less) file.
      const record = (await stack.deps.store.get(first.id))!;
      const underProfile = {
        ...record,
        id: 'upl_0000000000000000000000profile',
        profile: 'avatars',
        fileName: 'av.heic',
      };
      await stack.deps.store.create(underProfile);
      const noProfile = await api.create({ ...same, fileName: 'av.heic' });
      expect(noProfile.status).toBe(201);
      expect(noProfile.body.upload.id).not.toBe(underProfile.id);

      // The object deleted behind our back: no dangling answer, a new upload.
      await sdk(cos().deleteObject.bind(cos()) as never, {
        Bucket: stack.bucket,
        Region: stack.region,
        Key: first.key,
      });
      const afterDelete = await api.create(same);
      expect(afterDelete.status).toBe(201);
      expect(afterDelete.body.upload.id).not.toBe(first.id);
      expect((afterDelete.body as CreateUploadResponse).urls).toHaveLength(1);
    }, 60_000);

    it('dedupe needs size and crc64; an object overwritten with other bytes of the same size is no match', async () => {
      const api = await as('overwrite');
      expectError(await api.create({ fileName: 'x.bin', size: 5, dedupe: true }), 400, 'VALIDATION_FAILED');
      expectError(await api.create({ fileName: 'x.bin', crc64: '1', dedupe: true }), 400, 'VALIDATION_FAILED');
      const file = bytesOf(1000, 7);
      const first = await uploadSmall(api, { fileName: 'o.bin', dedupe: true }, file);
      // Someone with the account keys writes other bytes at the key: COS's ETag changes.
      await sdk(cos().putObject.bind(cos()) as never, {
        Bucket: stack.bucket,
        Region: stack.region,
        Key: first.key,
        Body: Buffer.from(bytesOf(1000, 8)),
      });
      const again = await api.create({ fileName: 'o.bin', size: file.length, crc64: crcOf(file), dedupe: true });
      expect(again.status).toBe(201);
      expect(again.body.upload.id).not.toBe(first.id);
    });

    it('presign on a multipart create gives every part its own length; unknown size gets full parts, bounded by maxSize', async () => {
      const api = await as('multi');
      const file = bytesOf(2 * MiB + 5, 11);
      const r = await api.create({ fileName: 'm.bin', size: file.length, crc64: crcOf(file), presign: 3 });
      expect(r.status).toBe(201);
      const { upload, urls } = r.body as CreateUploadResponse;
      expect(upload.partCount).toBe(3);
      expect(urls!.map((u) => u.partNumber)).toEqual([1, 2, 3]);
      const parts = [];
      for (const u of urls!) {
        const put = await putPart(u, file.subarray((u.partNumber - 1) * MiB, u.partNumber * MiB));
        expect(put.status, put.text).toBe(200);
        parts.push({ partNumber: u.partNumber, etag: put.etag! });
      }
      // A part of another length is refused by COS: the signature binds it.
      expect((await putPart(urls![2]!, file.subarray(0, MiB))).status).toBe(403);
      expect((await api.complete(upload.id, { parts })).status).toBe(200);
      expectError(await api.create({ fileName: 'm.bin', size: file.length, presign: 4 }), 400, 'VALIDATION_FAILED');

      const unknown = await api.create({ fileName: 'stream.bin', maxSize: 3 * MiB, presign: 3 });
      expect(unknown.status).toBe(201);
      const streamed = (unknown.body as CreateUploadResponse).urls!;
      expect(streamed).toHaveLength(3);
      expect((await putPart(streamed[0]!, bytesOf(MiB, 1))).status).toBe(200);
      const beyond = await api.create({ fileName: 'stream.bin', maxSize: 3 * MiB, presign: 4 });
      expectError(beyond, 400, 'VALIDATION_FAILED');
      expect(
        (beyond.body as unknown as { error: { details: { issues: { path: string[] }[] } } }).error.details.issues[0]!
          .path,
      ).toEqual(['body', 'presign']);
    });

    it('one small file is 2 API calls (create with presign, complete) and 1 PUT, through the client SDK', async () => {
      const calls: string[] = [];
      const api = createApiClient({
        baseUrl: stack.apiUrl,
        token: await stack.token('phone'),
        fetch: (url, init) => {
          calls.push(`${init?.method ?? 'GET'} ${new URL(url).pathname}`);
          return fetch(url, init);
        },
      });
      const file = bytesOf(2048, 3);
      const answer = await api.createWithUrls({ fileName: 'p.jpg', size: file.length, crc64: crcOf(file), presign: 1 });
      expect(answer.deduplicated).toBeUndefined();
      const url = answer.urls![0]!;
      const put = await fetch(url.url, { method: 'PUT', headers: url.headers, body: file });
      expect(put.status).toBe(200);
      const done = await api.complete(answer.upload.id);
      expect(done.state).toBe('completed');
      expect(calls).toEqual(['POST /v1/uploads', `POST /v1/uploads/${answer.upload.id}/complete`]);

      // The batch methods: one call each for many files.
      calls.length = 0;
      const files = [bytesOf(10, 1), bytesOf(20, 2)];
      const batch = await api.createBatch([
        ...files.map((f, i) => ({ fileName: `b${i}`, size: f.length, crc64: crcOf(f), presign: 1 })),
        { fileName: '' },
      ]);
      expect('error' in batch[2]! && batch[2].error.code).toBe('VALIDATION_FAILED');
      const ok = batch.slice(0, 2) as {
        upload: { id: string };
        urls?: { url: string; headers: Record<string, string> }[];
      }[];
      for (const [i, s] of ok.entries()) {
        await fetch(s.urls![0]!.url, { method: 'PUT', headers: s.urls![0]!.headers, body: files[i] });
      }
      const completed = await api.completeBatch(ok.map((s) => s.upload.id));
      expect(completed.every((r) => 'upload' in r && ['completed', 'completing'].includes(r.upload.state))).toBe(true);
      expect(calls).toEqual(['POST /v1/uploads/batch', 'POST /v1/uploads/batch-complete']);
    });
  });
}
