import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '../../local/stack.ts';
import { apiClient, expectError } from '../helpers/api-client.ts';
import { startTestStack, type TestStack } from '../helpers/test-stack.ts';

/**
 * The token's `sub` is the owner, compared exactly: real HS256 tokens over HTTP against the local
 * stack (SQLite store). A `sub` the store could not keep as given (a lone surrogate becomes U+FFFD
 * in UTF-8) would hand the upload to another principal, so such tokens are refused.
 */

let testStack: TestStack | undefined;
let stack: LocalStack;

beforeAll(async () => {
  testStack = await startTestStack('token-claims', { env: { UPLOADS_STORE: 'sqlite' } });
  stack = testStack.stack;
});
afterAll(() => testStack?.stop());

const as = async (sub: string) => apiClient(stack.apiUrl, await stack.token(sub));

describe('sub rules', () => {
  it('a sub with a lone surrogate is refused, so no other principal can own its upload', async () => {
    // JSON.stringify escapes the lone surrogate (`\ud800`): the token really carries it.
    const lone = await as('eve\uD800');
    const created = await lone.create({ fileName: 'a.bin', size: 10 });
    expectError(created, 401, 'UNAUTHORIZED');
    for (const sub of ['\uDC00', 'a\uDBFFb', '\uD800\uD800']) {
      expectError(await (await as(sub)).create({ fileName: 'a.bin', size: 10 }), 401, 'UNAUTHORIZED');
    }

    // `eve\uFFFD` is a different, well-formed principal: it owns its own uploads and only those.
    const eve = await as('eve\uFFFD');
    const own = await eve.create({ fileName: 'e.bin', size: 10 });
    expect(own.status).toBe(201);
    expect((await eve.get(own.body.upload.id)).status).toBe(200);
    expectError(await (await as('eve')).get(own.body.upload.id), 404, 'NOT_FOUND');
  });

  it('control characters, an empty sub and one over 256 characters are refused', async () => {
    for (const sub of ['alice\u0000', 'alice\n', '\u007f', 'a\u0085b', '\t', 'x'.repeat(257)]) {
      expectError(await (await as(sub)).create({ fileName: 'a.bin', size: 10 }), 401, 'UNAUTHORIZED');
    }
    const secret = new TextEncoder().encode(stack.config.AUTH_JWT_SECRET!);
    const exp = Math.floor(Date.now() / 1000) + 600;
    for (const sub of ['', 42, ['alice'], null]) {
      const token = await new SignJWT({ sub, exp } as never).setProtectedHeader({ alg: 'HS256' }).sign(secret);
      expectError(await apiClient(stack.apiUrl, token).create({ fileName: 'a.bin', size: 10 }), 401, 'UNAUTHORIZED');
    }
    expect((await (await as('x'.repeat(256))).create({ fileName: 'a.bin', size: 10 })).status).toBe(201);
    expect((await (await as('𝕏'.repeat(128))).create({ fileName: 'a.bin', size: 10 })).status).toBe(201);
  });

  it('subs are compared exactly, never normalised', async () => {
    const nfc = await as('jos\u00e9');
    const up = (await nfc.create({ fileName: 'n.bin', size: 10 })).body.upload;
    expect((await nfc.get(up.id)).status).toBe(200);
    for (const other of ['jose\u0301', 'JOS\u00c9', 'jos\u00e9 ', ' jos\u00e9', 'jos\uFFFD']) {
      expectError(await (await as(other)).get(up.id), 404, 'NOT_FOUND');
    }
    const row = await stack.deps.store.get(up.id);
    expect(row?.owner).toBe('jos\u00e9');
  });
});

describe('AUTH_MAX_TOKEN_AGE_SECONDS unset (the default)', () => {
  it('a token without iat is fine', async () => {
    const exp = Math.floor(Date.now() / 1000) + 600;
    const s = new TextEncoder().encode(stack.config.AUTH_JWT_SECRET!);
    const token = await new SignJWT({ sub: 'no-iat', exp }).setProtectedHeader({ alg: 'HS256' }).sign(s);
    expect((await apiClient(stack.apiUrl, token).create({ fileName: 'a.bin', size: 10 })).status).toBe(201);
  });
});
