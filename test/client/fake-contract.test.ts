import { describe, expect, it } from 'vitest';
import { FakeBackend } from './fake-backend.ts';

/** The fake's contract check bites: each test reads the violations it provoked, then clears them. */

const auth = { authorization: 'Bearer t0k', 'content-type': 'application/json' };
const post = (fake: FakeBackend, path: string, body: unknown) =>
  fake.fetch(`${fake.api}${path}`, { method: 'POST', headers: auth, body: JSON.stringify(body) });

describe('fake backend contract check', () => {
  it('a request body the server would refuse is a violation, answered 400 as the server would', async () => {
    const fake = new FakeBackend({ partSize: 100 });
    const res = await post(fake, '/v1/uploads', { fileName: '', size: 10, contentType: 'not a type', extra: 1 });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('VALIDATION_FAILED');
    expect(fake.contract.violations).toHaveLength(1);
    expect(fake.contract.violations[0]).toMatch(/^create request: .*fileName/);
    fake.contract.violations.length = 0;
  });

  it('an answer the server could not give is a violation', async () => {
    const fake = new FakeBackend({ partSize: 100 });
    const created = await post(fake, '/v1/uploads', { fileName: 'a.bin', size: 300, contentType: 'text/plain' });
    expect(created.status).toBe(201);
    const { upload } = (await created.json()) as { upload: { id: string } };
    const state = fake.uploads.get(upload.id)!.upload;
    state.state = 'paused';
    // A field the upload object does not have (storageClass, once the example, is one now).
    state.surprise = 'x';
    await fake.fetch(`${fake.api}/v1/uploads/${upload.id}`, { headers: auth });
    expect(fake.contract.violations).toEqual([expect.stringMatching(/^get 200 answer: upload\.state/)]);
    state.state = 'open';
    fake.contract.violations.length = 0;
    await fake.fetch(`${fake.api}/v1/uploads/${upload.id}`, { headers: auth });
    expect(fake.contract.violations).toEqual(['get 200 answer has unlisted fields: upload.surprise']);
    fake.contract.violations.length = 0;
  });

  it('a malformed upload id is the caller input: 400, not a violation', async () => {
    const fake = new FakeBackend({ partSize: 100 });
    const res = await fake.fetch(`${fake.api}/v1/uploads/upl_nope`, { headers: auth });
    expect(res.status).toBe(400);
    expect(fake.contract.violations).toEqual([]);
  });
});
