import { describe, expect, it } from 'vitest';
import { buildApiClient } from '../../client/http-api-client.ts';
import { toPublicUpload } from '../../shared/core/upload-view.ts';
import { anUpload, at } from '../contract/fixtures.ts';
import { noWait } from './fake-backend.ts';

/** The SDK's create sends one Idempotency-Key per logical create, the same on every retry of it. */
describe('create sends an Idempotency-Key', () => {
  const created = JSON.stringify({ upload: toPublicUpload(anUpload(), new Date(at(1))) });

  function backend(script: ('network' | 'in-use' | 'created')[]) {
    const keys: (string | null)[] = [];
    const fetch = async (_url: string, init?: RequestInit) => {
      keys.push(new Headers(init?.headers).get('idempotency-key'));
      const step = script.shift() ?? 'created';
      if (step === 'network') throw new TypeError('fetch failed');
      if (step === 'in-use') {
        return new Response(
          JSON.stringify({ error: { code: 'IDEMPOTENCY_KEY_IN_USE', message: 'busy', details: {} } }),
          { status: 409, headers: { 'content-type': 'application/json' } },
        );
      }
      return new Response(created, { status: 201, headers: { 'content-type': 'application/json' } });
    };
    const api = buildApiClient({ baseUrl: 'http://127.0.0.1:1', token: 't', fetch }, { retry: noWait });
    return { api, keys };
  }

  it('reuses the key across retries (a lost answer, then 409 IN_USE) and picks a new one per create', async () => {
    const { api, keys } = backend(['network', 'in-use', 'created', 'created']);
    await api.create({ fileName: 'a.bin', size: 1 });
    expect(keys).toHaveLength(3);
    expect(keys[0]).toMatch(/^[\x20-\x7e]{1,255}$/);
    expect(new Set(keys).size).toBe(1);
    await api.create({ fileName: 'a.bin', size: 1 });
    expect(keys[3]).not.toBe(keys[0]);
  });

  it('sends the caller’s own key when given one', async () => {
    const { api, keys } = backend(['created']);
    await api.create({ fileName: 'a.bin', size: 1 }, undefined, { idempotencyKey: 'photo-42' });
    expect(keys).toEqual(['photo-42']);
  });

  it('does not retry IDEMPOTENCY_KEY_REUSED: another body under a key is the caller’s bug', async () => {
    const keys: string[] = [];
    const fetch = async (_url: string, init?: RequestInit) => {
      keys.push(new Headers(init?.headers).get('idempotency-key') ?? '');
      return new Response(JSON.stringify({ error: { code: 'IDEMPOTENCY_KEY_REUSED', message: 'no', details: {} } }), {
        status: 422,
      });
    };
    const api = buildApiClient({ baseUrl: 'http://127.0.0.1:1', token: 't', fetch }, { retry: noWait });
    await expect(api.create({ fileName: 'a', size: 1 }, undefined, { idempotencyKey: 'k' })).rejects.toMatchObject({
      code: 'IDEMPOTENCY_KEY_REUSED',
      retryable: false,
    });
    expect(keys).toEqual(['k']);
  });
});
