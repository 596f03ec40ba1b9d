import { describe, expect, it } from 'vitest';
import { upload } from '../../client/upload.ts';
import { FakeBackend, testBytes } from './fake-backend.ts';

/**
 * `upload`/`createUpload` ask create for part 1's URL (`presign: 1`), so a small file costs create,
 * one PUT and complete — unless part 1's URL must bind what create cannot sign (client/README.md,
 * "How it spends API calls").
 */

/** The fake, with every create body kept. */
function backend(singleMax = 0) {
  const fake = new FakeBackend({ partSize: 100, singleMax });
  const creates: Record<string, unknown>[] = [];
  const fetch = (url: string, init?: RequestInit) => {
    if (init?.method === 'POST' && new URL(url).pathname === '/v1/uploads') creates.push(JSON.parse(String(init.body)));
    return fake.fetch(url, init);
  };
  return { fake, creates, opts: { baseUrl: fake.api, token: 't0k', fetch } };
}

describe('part 1’s URL comes with create', () => {
  it('a small file costs 2 API calls (create, complete) and 1 PUT', async () => {
    const { fake, creates, opts } = backend(1000);
    const bytes = testBytes(700);
    const done = await upload(bytes, opts);
    expect(done).toMatchObject({ state: 'completed', strategy: 'single' });
    expect(creates.map((b) => b.presign)).toEqual([1]);
    expect(fake.calls).toMatchObject({ create: 1, partUrls: 0, complete: 1 });
    expect(fake.totalApiCalls).toBe(2);
    expect(fake.putAttempts).toBe(1);
    expect(fake.object(done.id)).toEqual(bytes);
  });

  it('a multipart file fetches only the other parts’ URLs', async () => {
    const { fake, opts } = backend();
    const done = await upload(testBytes(450), { ...opts, concurrency: 1 });
    expect(done.partCount).toBe(5);
    expect(fake.partUrlRequests).toEqual([[2, 3, 4, 5]]);
    expect(fake.puts.size).toBe(5);
  });

  it('md5 and trafficLimit still get every URL from part-urls, part 1’s included', async () => {
    for (const extra of [{ md5: true }, { trafficLimit: 1_048_576 }]) {
      const { fake, creates, opts } = backend(1000);
      const done = await upload(testBytes(700), { ...opts, ...extra });
      expect(done.state, JSON.stringify(extra)).toBe('completed');
      expect(creates[0]).not.toHaveProperty('presign');
      expect(fake.partUrlRequests).toEqual([[1]]);
      const [asked] = fake.partUrlBodies;
      if ('md5' in extra) expect(asked?.md5s).toHaveLength(1);
      else expect(asked?.trafficLimit).toBe(1_048_576);
    }
  });

  it('an empty file asks for no URL (it is born completed)', async () => {
    const { fake, creates, opts } = backend(1000);
    await upload(new Uint8Array(0), opts);
    expect(creates[0]).not.toHaveProperty('presign');
    expect(fake.totalApiCalls).toBe(1);
  });
});
