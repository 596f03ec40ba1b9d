import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '../../local/stack.ts';
import { completeBody } from '../../shared/api/schemas.ts';
import { COMPLETE_MAX_JSON_BYTES, MAX_JSON_BYTES } from '../../shared/http/json-body.ts';
import { apiClient, expectError } from '../helpers/api-client.ts';
import { startTestStack, type TestStack } from '../helpers/test-stack.ts';

/**
 * complete's body limit fits what its schema allows: 10,000 parts, each with the longest ETag,
 * a size and a CRC64 (~2 MiB) is read and checked, not refused as too large (413).
 */

const MiB = 1024 * 1024;
let testStack: TestStack | undefined;
let stack: LocalStack;
let alice: ReturnType<typeof apiClient>;

beforeAll(async () => {
  testStack = await startTestStack('complete-body-limit');
  stack = testStack.stack;
  alice = apiClient(stack.apiUrl, await stack.token('alice'));
});
afterAll(() => testStack?.stop());

/** The longest entry completeBody accepts: a 5-digit part number, a 128-character quoted ETag, the largest size and CRC64. */
const maximalParts = () =>
  Array.from({ length: 10_000 }, (_, i) => ({
    partNumber: 10_000 - (i % 9_000),
    etag: `"${'f'.repeat(126)}"`,
    size: Number.MAX_SAFE_INTEGER,
    crc64: '18446744073709551615',
  }));

describe('complete body limit', () => {
  it('a maximal valid body is over the default 1 MiB, valid by the schema and under the complete limit', () => {
    const body = { parts: maximalParts() };
    const bytes = Buffer.byteLength(JSON.stringify(body));
    expect(bytes).toBeGreaterThan(MAX_JSON_BYTES * 2);
    expect(bytes).toBeLessThan(COMPLETE_MAX_JSON_BYTES);
    expect(completeBody.safeParse(body).success).toBe(true);
  });

  it('is read and checked over HTTP (not 413); one byte past the limit is 413', async () => {
    const up = (await alice.create({ fileName: 'big.bin', size: 10_000 * MiB })).body.upload;
    expect(up.partCount).toBe(10_000);
    const maximal = await alice.complete(up.id, { parts: maximalParts() });
    // Past the limit and the schema: the plan check answers (the numbers repeat, sizes are absurd).
    expectError(maximal, 409, 'PARTS_INVALID');

    // Real sizes and distinct numbers: the parts were never uploaded, so COS's list refutes them.
    const plausible = Array.from({ length: 10_000 }, (_, i) => ({
      partNumber: i + 1,
      etag: `"${'0'.repeat(126)}"`,
      size: MiB,
      crc64: '18446744073709551615',
    }));
    const r = await alice.complete(up.id, { parts: plausible });
    expect(r.status, JSON.stringify(r.body).slice(0, 300)).not.toBe(413);
    expect(JSON.stringify(r.body)).not.toMatch(/PAYLOAD_TOO_LARGE|VALIDATION_FAILED/);

    const raw = `{"parts":[]}${' '.repeat(COMPLETE_MAX_JSON_BYTES - 11)}`;
    expectError(await alice.call('POST', `/v1/uploads/${up.id}/complete`, undefined, raw), 413, 'PAYLOAD_TOO_LARGE');
    const fits = `{"parts":[]}${' '.repeat(COMPLETE_MAX_JSON_BYTES - 12)}`;
    expect((await alice.call('POST', `/v1/uploads/${up.id}/complete`, undefined, fits)).status).not.toBe(413);

    // Other routes keep 1 MiB.
    const big = `{"parts":[]}${' '.repeat(MAX_JSON_BYTES)}`;
    expectError(await alice.call('PUT', `/v1/uploads/${up.id}/parts`, undefined, big), 413, 'PAYLOAD_TOO_LARGE');
  });
});
