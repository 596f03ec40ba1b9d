import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUpload, upload } from '../../client/upload.ts';
import { crc64 } from '../../shared/core/crc64.ts';
import { countingFetch, type E2eStack, randomBytes, readObject, startE2eStack } from './helpers.ts';

const MiB = 1024 * 1024;

describe('client SDK against the local stack', () => {
  let e2e: E2eStack;
  let token: string;
  beforeAll(async () => {
    e2e = await startE2eStack();
    token = await e2e.stack.token('e2e-client');
  });
  afterAll(() => e2e?.close());

  it('uploads 50 MiB multipart; the object matches byte for byte', async () => {
    const bytes = randomBytes(50 * MiB, 1);
    const { fetch, puts } = countingFetch(e2e.stack.cosUrl);
    const done = await upload(bytes, { baseUrl: e2e.stack.apiUrl, token, fileName: 'fifty.bin', fetch });
    expect(done).toMatchObject({ state: 'completed', strategy: 'multipart', size: 50 * MiB });
    expect(done.crc64).toBe(crc64(bytes).toString());
    expect(done.etag).toMatch(new RegExp(`^"[0-9a-f]{32}-${done.partCount}"$`));
    expect([...puts.values()].every((n) => n === 1)).toBe(true);
    expect(puts.size).toBe(done.partCount);
    const back = await readObject(e2e.stack, done.key);
    expect(back.length).toBe(bytes.length);
    expect(Buffer.compare(back, bytes)).toBe(0);
  });

  it('stopped halfway and resumed, it uploads only the missing parts', async () => {
    const bytes = randomBytes(24 * MiB + 12_345, 2);
    const api = e2e.stack.apiUrl;
    const first = countingFetch(e2e.stack.cosUrl);
    const ctl = new AbortController();
    const task = createUpload(bytes, {
      baseUrl: api,
      token,
      fileName: 'resume.bin',
      partSize: MiB,
      concurrency: 2,
      fetch: first.fetch,
      signal: ctl.signal,
      onProgress: (p) => p.partsDone >= 10 && ctl.abort(),
    });
    await expect(task.done).rejects.toMatchObject({ code: 'STOPPED' });
    const id = task.id!;
    const recorded = (await (
      await fetch(`${api}/v1/uploads/${id}`, { headers: { authorization: `Bearer ${token}` } })
    ).json()) as { parts: { partNumber: number }[]; upload: { partCount: number } };
    const recordedNumbers = recorded.parts.map((p) => p.partNumber);
    expect(recordedNumbers.length).toBeGreaterThanOrEqual(10);
    expect(recordedNumbers.length).toBeLessThan(recorded.upload.partCount);

    const second = countingFetch(e2e.stack.cosUrl);
    const done = await upload(bytes, { baseUrl: api, token, uploadId: id, fetch: second.fetch });
    expect(done.id).toBe(id);
    const resent = [...second.puts.keys()];
    for (const n of recordedNumbers) expect(resent).not.toContain(n);
    expect(resent.length + recordedNumbers.length).toBe(done.partCount);
    expect(done.crc64).toBe(crc64(bytes).toString());
    expect(Buffer.compare(await readObject(e2e.stack, done.key), bytes)).toBe(0);
  });

  it('completes while COS fails 20% of part uploads with 503s and dropped connections', async () => {
    e2e.stack.emulator.faults.add({
      op: 'UploadPart',
      count: 1000,
      probability: 0.1,
      action: { type: 'error', status: 503, code: 'ServiceUnavailable' },
    });
    e2e.stack.emulator.faults.add({ op: 'UploadPart', count: 1000, probability: 0.1 / 0.9, action: { type: 'drop' } });
    const hitsBefore = e2e.stack.emulator.faults.hits;
    const bytes = randomBytes(30 * MiB, 3);
    const done = await upload(bytes, {
      baseUrl: e2e.stack.apiUrl,
      token,
      fileName: 'flaky.bin',
      partSize: MiB,
      retry: { baseDelayMs: 20, maxDelayMs: 200, retries: 10 },
    });
    e2e.stack.emulator.faults.clear();
    expect(e2e.stack.emulator.faults.hits - hitsBefore).toBeGreaterThan(0);
    expect(done.crc64).toBe(crc64(bytes).toString());
    expect(Buffer.compare(await readObject(e2e.stack, done.key), bytes)).toBe(0);
  });

  it('small files go through one presigned PUT (single) and match', async () => {
    const bytes = randomBytes(3 * MiB + 7, 4);
    const { fetch, puts } = countingFetch(e2e.stack.cosUrl);
    const done = await upload(new Blob([bytes as Uint8Array<ArrayBuffer>], { type: 'image/png' }), {
      baseUrl: e2e.stack.apiUrl,
      token,
      fileName: 'pic.png',
      metadata: { album: 'e2e' },
      fetch,
    });
    expect(done).toMatchObject({ strategy: 'single', contentType: 'image/png', state: 'completed' });
    expect([...puts.entries()]).toEqual([[1, 1]]);
    expect(Buffer.compare(await readObject(e2e.stack, done.key), bytes)).toBe(0);
  });

  it('abort() deletes the session: the API reports it aborted', async () => {
    const ctl = { task: null as ReturnType<typeof createUpload> | null };
    let aborting: Promise<void> | null = null;
    ctl.task = createUpload(randomBytes(24 * MiB, 5), {
      baseUrl: e2e.stack.apiUrl,
      token,
      fileName: 'cancel.bin',
      partSize: MiB,
      concurrency: 1,
      onProgress: (p) => {
        if (p.partsDone === 2) aborting = ctl.task!.abort();
      },
    });
    await expect(ctl.task.done).rejects.toMatchObject({ code: 'ABORTED' });
    await aborting;
    const res = await fetch(`${e2e.stack.apiUrl}/v1/uploads/${ctl.task.id}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(((await res.json()) as { upload: { state: string } }).upload.state).toBe('aborted');
  });
});
