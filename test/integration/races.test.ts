import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '../../local/stack.ts';
import { type Answer, apiClient, bytesOf, putPart } from '../helpers/api-client.ts';
import { startTestDynamoDb } from '../helpers/dynamodb-local.ts';
import { getObjectBytes, headObject, listParts, officialCos } from '../helpers/official-cos.ts';
import { startTestStack, type TestStack } from '../helpers/test-stack.ts';

/**
 * Complete vs abort vs sweep vs record, fired at one upload at once, over HTTP, on both stores:
 * exactly one terminal state, no recorded part lost, and COS agreeing with the store.
 */
const MiB = 1024 * 1024;
const ROUNDS = 6;

describe.each(['sqlite', 'dynamodb'] as const)('races on %s', (kind) => {
  let testStack: TestStack | undefined;
  let stack: LocalStack;
  let db: { endpoint: string; stop(): Promise<void> } | undefined;
  let offsetMs = 0;

  beforeAll(async () => {
    const env: Record<string, string> = {};
    if (kind === 'dynamodb') {
      db = await startTestDynamoDb();
      Object.assign(env, { UPLOADS_STORE: 'dynamodb', DYNAMODB_ENDPOINT: db.endpoint, UPLOADS_TABLE: 'races' });
    }
    // The API's clock runs ahead on demand, so the sweep sees the upload as stale mid-race.
    testStack = await startTestStack(`races-${kind}`, { env, clock: { now: () => new Date(Date.now() + offsetMs) } });
    stack = testStack.stack;
  }, 120_000);

  afterAll(async () => {
    await testStack?.stop();
    await db?.stop();
  });

  it('one upload, many concurrent completes, aborts, sweeps and records: one winner, COS agrees', async () => {
    const alice = apiClient(stack.apiUrl, await stack.token('alice'));
    const admin = apiClient(stack.apiUrl, await stack.token('root', { admin: true }));
    const cos = officialCos(stack.cosUrl);
    const winners = { completed: 0, aborted: 0 };

    for (let round = 0; round < ROUNDS; round++) {
      const file = bytesOf(2 * MiB + 99, round + 1);
      const up = (await alice.create({ fileName: `race${round}.bin`, size: file.length })).body.upload;
      const urls = (await alice.partUrls(up.id, { partNumbers: [1, 2, 3] })).body.urls;
      const parts = [];
      for (const u of urls) {
        const put = await putPart(u, file.subarray((u.partNumber - 1) * MiB, u.partNumber * MiB));
        parts.push({ partNumber: u.partNumber, etag: put.etag! });
      }
      await alice.record(up.id, parts);
      // Only the API's clock jumps (server-side COS calls keep real time): the sweep now sees it stale.
      offsetMs = 2 * 3600_000;

      const fired: { kind: string; p: Promise<Answer> }[] = [];
      for (let i = 0; i < 6; i++) {
        fired.push({ kind: 'complete', p: alice.complete(up.id) });
        fired.push({ kind: 'abort', p: alice.abort(up.id) });
        fired.push({ kind: 'record', p: alice.record(up.id, [parts[i % 3]!]) });
        if (i < 3) fired.push({ kind: 'sweep', p: admin.call('POST', '/v1/admin/sweep', { olderThanSeconds: 3600 }) });
      }
      const answers = await Promise.all(fired.map(async (f) => ({ kind: f.kind, r: await f.p })));
      offsetMs = 0;
      for (const { r } of answers) expect(r.status, JSON.stringify(r.body)).toBeLessThan(500);

      const final = (await alice.get(up.id)).body;
      expect(['completed', 'aborted']).toContain(final.upload.state);
      // No recorded part was lost, whatever won.
      expect(final.parts.map((p) => p.etag)).toEqual(parts.map((p) => p.etag));
      const ok = (k: string) => answers.filter((a) => a.kind === k && a.r.status < 300);

      if (final.upload.state === 'completed') {
        winners.completed++;
        expect(ok('abort')).toHaveLength(0);
        const etags = new Set(ok('complete').map((a) => (a.r.body as { upload: { etag: string } }).upload.etag));
        expect(etags.size).toBeLessThanOrEqual(1);
        const bytes = await getObjectBytes(cos, stack.bucket, stack.region, up.key);
        expect(Buffer.compare(bytes, Buffer.from(file))).toBe(0);
      } else {
        winners.aborted++;
        expect(ok('complete')).toHaveLength(0);
        await expect(headObject(cos, stack, up.key)).rejects.toMatchObject({ statusCode: 404 });
      }
      // Either way the multipart upload is gone from COS: no orphan left behind.
      await expect(listParts(cos, stack, up.key, up.cosUploadId)).rejects.toMatchObject({ statusCode: 404 });
    }
    expect(winners.completed + winners.aborted).toBe(ROUNDS);
  }, 180_000);
});
