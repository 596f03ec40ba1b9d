import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '../../local/stack.ts';
import { createLogger } from '../../shared/logger.ts';
import { bytesOf, crcOf, putPart } from '../helpers/api-client.ts';
import { startTestStack, type TestStack } from '../helpers/test-stack.ts';

/**
 * Every line a request makes the server log — the access line, the core's, the COS client's
 * retries, the completion worker it starts — carries that request's id and its function.
 */
let testStack: TestStack | undefined;
let stack: LocalStack;
let token: string;
const lines: Record<string, unknown>[] = [];

beforeAll(async () => {
  const log = createLogger('debug', {}, (l) => lines.push(JSON.parse(l) as Record<string, unknown>));
  testStack = await startTestStack('request-logs', { log });
  stack = testStack.stack;
  token = await stack.token('alice');
});
afterAll(() => testStack?.stop());

/** One request; the id the server gave it (as API Gateway does) and the lines logged while it ran. */
async function logged(method: string, path: string, body?: unknown) {
  const from = lines.length;
  const res = await fetch(`${stack.apiUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = (await res.json().catch(() => null)) as Record<string, never> | null;
  await new Promise((r) => setTimeout(r, 50)); // the access line is written as the answer leaves
  const requestId = res.headers.get('x-request-id');
  expect(requestId).toBeTruthy();
  return { status: res.status, json, requestId, lines: lines.slice(from) };
}

describe('request-scoped logs', () => {
  it('create (with a COS retry), part-urls and complete: every line carries its request id and fn', async () => {
    stack.emulator.faults.add({ op: 'InitiateMultipartUpload', count: 1, action: { type: 'error', status: 503 } });
    const file = bytesOf(1000, 5);
    const created = await logged('POST', '/v1/uploads', {
      fileName: 'a.bin',
      size: 1000,
      crc64: crcOf(file),
    });
    expect(created.status).toBe(201);
    const msgs = created.lines.map((l) => l.msg);
    expect(msgs).toEqual(expect.arrayContaining(['cos retry', 'upload created', 'request']));
    for (const l of created.lines)
      expect(l, JSON.stringify(l)).toMatchObject({ requestId: created.requestId, fn: 'create-upload' });

    const id = (created.json as unknown as { upload: { id: string } }).upload.id;
    const urls = await logged('POST', `/v1/uploads/${id}/part-urls`, { partNumbers: [1] });
    for (const l of urls.lines) expect(l).toMatchObject({ requestId: urls.requestId, fn: 'part-urls' });
    const url = (urls.json as unknown as { urls: Parameters<typeof putPart>[0][] }).urls[0]!;
    expect((await putPart(url, file)).status).toBe(200);

    const done = await logged('POST', `/v1/uploads/${id}/complete`);
    expect(done.status).toBe(200);
    expect(done.lines.map((l) => l.msg)).toEqual(expect.arrayContaining(['upload completed', 'request']));
    // The worker the request started logs under its own fn, with the id of the request behind it.
    for (const l of done.lines) expect(l, JSON.stringify(l)).toMatchObject({ requestId: done.requestId });
    expect(done.lines.find((l) => l.msg === 'upload completed')).toMatchObject({ fn: 'complete-worker' });
  });

  it('a refused request logs its id too', async () => {
    const r = await logged('POST', '/v1/uploads', { fileName: '' });
    expect(r.status).toBe(400);
    expect(r.lines.length).toBeGreaterThan(0);
    for (const l of r.lines) expect(l).toMatchObject({ requestId: r.requestId, fn: 'create-upload' });
  });
});
