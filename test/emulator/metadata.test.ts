import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestEmulator, type TestEmulator } from '../helpers/cos-emulator.ts';

/**
 * User metadata rules (PUT Object 436/7749, Initiate Multipart Upload 436/7746) through the
 * official SDK: suffixes [a-z0-9-] only, 2 KB in all — counted as header names plus values.
 */

let t: TestEmulator;
beforeAll(async () => {
  t = await startTestEmulator();
});
afterAll(() => t.close());

/** PUT Object and Initiate with these headers: the error code of each, or 'ok'. */
async function both(Headers: Record<string, string>): Promise<[string | undefined, string | undefined]> {
  const cos = t.cos();
  const code = (p: Promise<unknown>) =>
    p.then(
      () => 'ok',
      (e: { code?: string; statusCode?: number }) => `${e.statusCode} ${e.code}`,
    );
  return [
    await code(cos.putObject({ ...t.target, Key: 'meta/put', Body: Buffer.from('x'), Headers })),
    await code(cos.multipartInit({ ...t.target, Key: 'meta/init', Headers })),
  ];
}

describe('user metadata', () => {
  it('refuses a suffix with _ (or anything outside a-z0-9-) with 400 InvalidArgument; _ in a value is fine', async () => {
    expect(await both({ 'x-cos-meta-my_key': 'v' })).toEqual(['400 InvalidArgument', '400 InvalidArgument']);
    expect(await both({ 'x-cos-meta-dot.ted': 'v' })).toEqual(['400 InvalidArgument', '400 InvalidArgument']);
    expect(await both({ 'X-Cos-Meta-Upper-2': 'a_b c' })).toEqual(['ok', 'ok']);
    const head = await t.cos().headObject({ ...t.target, Key: 'meta/put' });
    expect(head.headers?.['x-cos-meta-upper-2']).toBe('a_b c');
  });

  it('allows 2 KB of names plus values in all, and refuses one byte more with 400 MetadataTooLarge', async () => {
    const name = 'x-cos-meta-big';
    expect(await both({ [name]: 'v'.repeat(2048 - name.length) })).toEqual(['ok', 'ok']);
    expect(await both({ [name]: 'v'.repeat(2049 - name.length) })).toEqual([
      '400 MetadataTooLarge',
      '400 MetadataTooLarge',
    ]);
    // Summed over every header; names count too.
    const two = { 'x-cos-meta-a': 'v'.repeat(1012), 'x-cos-meta-b': 'v'.repeat(1013) };
    expect(await both(two)).toEqual(['400 MetadataTooLarge', '400 MetadataTooLarge']);
  });
});
