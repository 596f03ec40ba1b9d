import type COS from 'cos-nodejs-sdk-v5';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { LocalStack } from '../../local/stack.ts';
import type { SweepReport } from '../../shared/core/sweep-run.ts';
import { type Answer, apiClient, bytesOf, putPart, type UploadView } from '../helpers/api-client.ts';
import { startTestDynamoDb } from '../helpers/dynamodb-local.ts';
import { headObject, listParts, officialCos, sdk } from '../helpers/official-cos.ts';
import { startTestStack, type TestStack } from '../helpers/test-stack.ts';

const MiB = 1024 * 1024;
const H = 3600_000;
const TTL_HOURS = 72;
const env = {
  MAX_UPLOAD_BYTES: String(64 * MiB),
  MAX_OPEN_UPLOADS_PER_OWNER: '1000',
  STALE_AFTER_SECONDS: String(24 * 3600),
  UPLOAD_TTL_SECONDS: String(TTL_HOURS * 3600),
};

/**
 * The API's clock runs `offsetMs` ahead of real time; the emulator keeps real time, so every COS
 * call (made by the server with real-time signatures) keeps working while uploads age.
 */
const clock = { offsetMs: 0, now: () => new Date(Date.now() + clock.offsetMs) };

describe.each(['sqlite', 'dynamodb'] as const)('sweep over HTTP with the %s store', (backend) => {
  let testStack: TestStack | undefined;
  let stack: LocalStack;
  let db: Awaited<ReturnType<typeof startTestDynamoDb>> | undefined;
  let alice: ReturnType<typeof apiClient>;
  let admin: ReturnType<typeof apiClient>;
  let cos: COS;

  beforeAll(async () => {
    const storeEnv: Record<string, string> = {};
    if (backend === 'dynamodb') {
      db = await startTestDynamoDb();
      Object.assign(storeEnv, {
        UPLOADS_STORE: 'dynamodb',
        DYNAMODB_ENDPOINT: db.endpoint,
        UPLOADS_TABLE: 'sweep-test',
      });
    }
    testStack = await startTestStack(`sweep-${backend}`, { clock, env: { ...env, ...storeEnv } });
    stack = testStack.stack;
    alice = apiClient(stack.apiUrl, await stack.token('alice'));
    admin = apiClient(stack.apiUrl, await stack.token('ops', { admin: true }));
    cos = officialCos(stack.cosUrl);
  });

  afterAll(async () => {
    await testStack?.stop();
    await db?.stop();
  });

  beforeEach(() => {
    clock.offsetMs = 0;
    stack.emulator.faults.clear();
  });

  const target = () => ({ Bucket: stack.bucket, Region: stack.region });
  const sweep = async (body?: Record<string, unknown>) => {
    const r = (await admin.call('POST', '/v1/admin/sweep', body)) as Answer<SweepReport>;
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    return r.body;
  };
  const create = async (size = 2 * MiB): Promise<UploadView> => {
    const r = await alice.create({ fileName: 'clip.bin', size });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    return r.body.upload;
  };
  const stateOf = async (id: string) => (await alice.get(id)).body.upload.state;
  /** COS UploadIds of every multipart upload COS still holds under the managed prefix. */
  const cosUploadIds = async (): Promise<string[]> => {
    const ids: string[] = [];
    let marker: { KeyMarker?: string; UploadIdMarker?: string } = {};
    for (;;) {
      const page = await sdk<{
        Upload?: { UploadId: string }[];
        IsTruncated: string;
        NextKeyMarker?: string;
        NextUploadIdMarker?: string;
      }>(cos.multipartList.bind(cos) as never, {
        ...target(),
        Prefix: stack.config.KEY_PREFIX,
        MaxUploads: 1000,
        ...marker,
      });
      ids.push(...(page.Upload ?? []).map((u) => u.UploadId));
      if (page.IsTruncated !== 'true') return ids;
      marker = { KeyMarker: page.NextKeyMarker, UploadIdMarker: page.NextUploadIdMarker };
    }
  };
  const listPartsError = async (key: string, uploadId: string) =>
    listParts(cos, stack, key, uploadId).then(
      () => null,
      (e: { code?: string; error?: { Code?: string } }) => e.code ?? e.error?.Code ?? 'error',
    );
  const uploadAllParts = async (up: UploadView, seed: number) => {
    const file = bytesOf(up.size!, seed);
    const numbers = Array.from({ length: up.partCount! }, (_, i) => i + 1);
    const urls = await alice.partUrls(up.id, { partNumbers: numbers });
    const parts = [];
    for (const u of urls.body.urls) {
      const put = await putPart(u, file.subarray((u.partNumber - 1) * up.partSize, u.partNumber * up.partSize));
      expect(put.status, put.text).toBe(200);
      parts.push({ partNumber: u.partNumber, etag: put.etag! });
    }
    expect((await alice.record(up.id, parts)).status).toBe(200);
  };

  it('aborts stale uploads in the store and in COS and leaves one with recent activity alone', async () => {
    const stale = await create();
    const single = await create(1000);
    const active = await create();
    clock.offsetMs = 25 * H;
    // Asking for part URLs is activity (docs/API.md): it keeps `active` out of the sweep.
    expect((await alice.partUrls(active.id, { partNumbers: [1] })).status).toBe(200);

    const report = await sweep();
    expect(report.aborted).toEqual(expect.arrayContaining([stale.id, single.id]));
    expect(report.aborted).not.toContain(active.id);
    expect(report).toMatchObject({ dryRun: false, errors: 0 });
    expect(await stateOf(stale.id)).toBe('aborted');
    expect(await stateOf(single.id)).toBe('aborted');
    expect(await stateOf(active.id)).toBe('open');

    const inCos = await cosUploadIds();
    expect(inCos).not.toContain(stale.cosUploadId);
    expect(inCos).toContain(active.cosUploadId);
    expect(await listPartsError(stale.key, stale.cosUploadId!)).toBe('NoSuchUpload');
    expect(await listPartsError(active.key, active.cosUploadId!)).toBeNull();
  });

  it('marks an upload past expiresAt expired and aborts its COS upload', async () => {
    const up = await create();
    clock.offsetMs = (TTL_HOURS + 1) * H;
    // A threshold no upload reaches isolates the expiry pass.
    const report = await sweep({ olderThanSeconds: 3650 * 86_400 });
    expect(report.expired).toContain(up.id);
    expect(report.aborted).toEqual([]);
    expect(await stateOf(up.id)).toBe('expired');
    expect(await cosUploadIds()).not.toContain(up.cosUploadId);
    const listed = await admin.call<{ uploads: { id: string }[] }>(
      'GET',
      '/v1/admin/uploads?state=expired&owner=alice&limit=1000',
    );
    expect(listed.body.uploads.map((u) => u.id)).toContain(up.id);
  });

  it('aborts an orphan COS upload once it is older than the threshold, not before', async () => {
    const key = `${stack.config.KEY_PREFIX}ffffffffffffffff/upl_${'o'.repeat(10)}${backend}${'x'.repeat(10)}/lost.bin`;
    const init = await sdk<{ UploadId: string }>(cos.multipartInit.bind(cos) as never, { ...target(), Key: key });
    const loose = await sdk<{ UploadId: string }>(cos.multipartInit.bind(cos) as never, {
      ...target(),
      Key: `${stack.config.KEY_PREFIX}stray-${backend}`,
    });

    const young = await sweep();
    expect(young.orphans.map((o) => o.uploadId)).not.toContain(init.UploadId);
    expect(await cosUploadIds()).toContain(init.UploadId);

    clock.offsetMs = 25 * H;
    const old = await sweep();
    expect(old.orphans).toEqual(
      expect.arrayContaining([
        { key, uploadId: init.UploadId },
        { key: `${stack.config.KEY_PREFIX}stray-${backend}`, uploadId: loose.UploadId },
      ]),
    );
    const inCos = await cosUploadIds();
    expect(inCos).not.toContain(init.UploadId);
    expect(inCos).not.toContain(loose.UploadId);
  });

  it('a sweep during a complete leaves the upload completed', async () => {
    const up = await create();
    await uploadAllParts(up, 3);
    clock.offsetMs = 25 * H;
    // COS holds the complete for a moment, so the sweep runs while the upload is `completing`.
    stack.emulator.faults.add({ op: 'CompleteMultipartUpload', action: { type: 'delay', ms: 1500 } });
    const completing = alice.complete(up.id);
    for (let i = 0; i < 100 && (await stateOf(up.id)) !== 'completing'; i++)
      await new Promise((r) => setTimeout(r, 20));
    expect(await stateOf(up.id)).toBe('completing');

    const report = await sweep();
    expect(report.aborted).not.toContain(up.id);
    expect(report.orphans.map((o) => o.uploadId)).not.toContain(up.cosUploadId);
    const done = await completing;
    expect(done.status, JSON.stringify(done.body)).toBe(200);
    expect(done.body.upload.state).toBe('completed');
    expect((await sweep()).aborted).not.toContain(up.id);
    expect(await stateOf(up.id)).toBe('completed');
    const head = await headObject(cos, stack, up.key);
    expect(head.statusCode).toBe(200);
  });

  it('a sweep racing a complete has one winner: completed stays completed, aborted was refused', async () => {
    for (let round = 0; round < 3; round++) {
      clock.offsetMs = 0;
      const up = await create();
      await uploadAllParts(up, 10 + round);
      clock.offsetMs = 25 * H;
      const [done, report] = await Promise.all([alice.complete(up.id), sweep()]);
      const state = await stateOf(up.id);
      if (done.status === 200) {
        expect(state).toBe('completed');
        expect(report.aborted).not.toContain(up.id);
      } else {
        expect(done.status).toBe(409);
        expect(state).toBe('aborted');
        expect(report.aborted).toContain(up.id);
      }
    }
  });

  it('two concurrent sweeps abort each upload once', async () => {
    const ups = [];
    for (let i = 0; i < 12; i++) ups.push(await create());
    clock.offsetMs = 25 * H;
    const [a, b] = await Promise.all([sweep(), sweep()]);
    const ended = [...a.aborted, ...a.expired, ...b.aborted, ...b.expired];
    expect(new Set(ended).size).toBe(ended.length);
    for (const up of ups) expect(ended.filter((id) => id === up.id)).toHaveLength(1);
    const inCos = await cosUploadIds();
    for (const up of ups) expect(inCos).not.toContain(up.cosUploadId);
  });

  it('a dry run reports and changes nothing; the real run then does what it reported', async () => {
    const up = await create();
    const key = `${stack.config.KEY_PREFIX}dry-run-${backend}/orphan.bin`;
    const orphan = await sdk<{ UploadId: string }>(cos.multipartInit.bind(cos) as never, { ...target(), Key: key });
    clock.offsetMs = 25 * H;

    const dry = await sweep({ dryRun: true });
    expect(dry.dryRun).toBe(true);
    expect(dry.aborted).toContain(up.id);
    expect(dry.orphans).toContainEqual({ key, uploadId: orphan.UploadId });
    expect(await stateOf(up.id)).toBe('open');
    expect(await cosUploadIds()).toEqual(expect.arrayContaining([up.cosUploadId, orphan.UploadId]));

    const real = await sweep();
    expect(real.aborted).toContain(up.id);
    expect(real.orphans).toContainEqual({ key, uploadId: orphan.UploadId });
    expect(await stateOf(up.id)).toBe('aborted');
  });
});
