import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, expectError } from '../helpers/api-client.ts';
import { startTestStack, type TestStack } from '../helpers/test-stack.ts';

/** Real HS256 tokens over HTTP against a local stack with a maximum token age (one stack per file: the runtime is global). */
describe('AUTH_MAX_TOKEN_AGE_SECONDS', () => {
  let aged: TestStack | undefined;
  let url: string;
  let secret: Uint8Array;
  const MAX_AGE = 600;
  beforeAll(async () => {
    aged = await startTestStack('token-age', { env: { AUTH_MAX_TOKEN_AGE_SECONDS: String(MAX_AGE) } });
    url = aged.stack.apiUrl;
    secret = new TextEncoder().encode(aged.stack.config.AUTH_JWT_SECRET!);
  });
  afterAll(() => aged?.stop());

  const tokenWith = (claims: Record<string, unknown>) =>
    new SignJWT({ sub: 'alice', exp: Math.floor(Date.now() / 1000) + 3600, ...claims })
      .setProtectedHeader({ alg: 'HS256' })
      .sign(secret);
  const createWith = async (claims: Record<string, unknown>) =>
    apiClient(url, await tokenWith(claims)).create({ fileName: 'a.bin', size: 10 });

  it('refuses tokens without iat, issued in the future (past 60 s of skew) or older than the maximum', async () => {
    const now = Math.floor(Date.now() / 1000);
    for (const iat of [undefined, now + 120, now + 3600, now - MAX_AGE - 5, 0, -1]) {
      expectError(await createWith(iat === undefined ? {} : { iat }), 401, 'UNAUTHORIZED');
    }
    expectError(await createWith({ iat: 'now' }), 401, 'UNAUTHORIZED');
    for (const iat of [now, now - MAX_AGE + 30, now + 30]) {
      const r = await createWith({ iat });
      expect(r.status, `iat ${iat - now}: ${JSON.stringify(r.body)}`).toBe(201);
    }
    // What the stack mints (iat = now) passes.
    const minted = apiClient(url, await aged!.stack.token('bob'));
    expect((await minted.create({ fileName: 'b.bin', size: 10 })).status).toBe(201);
  });
});
