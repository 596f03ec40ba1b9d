import COS from 'cos-nodejs-sdk-v5';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CosObjectStorage } from '../../shared/cos/cos-object-storage.ts';

/**
 * The batch presigner (presign.ts) is signer.ts's signature rewritten for throughput, with caches
 * that live across calls: the KeyTime window and its HMAC, the key's encoded path, the last value
 * of each param. Here one storage instance presigns a run of batches that reuse and change keys,
 * upload ids and times, and every URL is held to what the official SDK signs for the same request.
 */

const Q_FIELDS = [
  'q-sign-algorithm',
  'q-ak',
  'q-sign-time',
  'q-key-time',
  'q-header-list',
  'q-url-param-list',
  'q-signature',
] as const;

/** Parsed by hand rather than with signer.ts, so the check does not lean on the code under test. */
function sdkFields(authorization: string): Record<string, string> {
  return Object.fromEntries(
    authorization.split('&').map((kv) => {
      const i = kv.indexOf('=');
      return [kv.slice(0, i), kv.slice(i + 1)];
    }),
  );
}

const text = fc.string({ unit: 'binary', maxLength: 24 }).filter((s) => s.isWellFormed());

/** Key characters weighted toward the ones encoders disagree on, plus any Unicode at all. */
const keyChar = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...' +()*!\'~%#?&=@:;,$[]{}|^`"<>\\-_.') },
  { weight: 3, arbitrary: fc.constantFrom('照', '片', 'é', 'ß', 'Ω', '🌞', '👩‍💻', '\u00a0', '\u200b', '\u0301') },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }).filter((s) => s.isWellFormed()) },
  { weight: 4, arbitrary: fc.stringMatching(/^[A-Za-z0-9]$/) },
);
// `.` and `..` segments are refused by the adapter (a URL parser would collapse them).
const segment = fc
  .array(keyChar, { minLength: 1, maxLength: 12 })
  .map((cs) => cs.join(''))
  .filter((s) => s !== '.' && s !== '..');
const objectKey = fc
  .array(segment, { minLength: 1, maxLength: 4 })
  .map((s) => s.join('/'))
  .filter((k) => Buffer.byteLength(k, 'utf8') <= 850);

const uploadId = fc.oneof(
  fc.stringMatching(/^1[0-9]{9}[0-9a-f]{16,32}$/),
  fc.string({ unit: fc.constantFrom(..."aZ09+/=-_.~ %&?()*!'"), minLength: 1, maxLength: 40 }),
  text.filter((s) => s.length > 0),
);

const part = fc.record(
  {
    partNumber: fc.integer({ min: 1, max: 10_000 }),
    contentLength: fc.oneof(
      fc.integer({ min: 0, max: 5 * 1024 ** 3 }),
      fc.constantFrom(0, 1, 1024 ** 2, Number.MAX_SAFE_INTEGER),
    ),
    // part-urls `parts[].md5` and `trafficLimit`: base64 with + / = that the signature must encode.
    md5: fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => Buffer.from(b).toString('base64')),
    trafficLimit: fc.integer({ min: 819_200, max: 838_860_800 }),
  },
  { requiredKeys: ['partNumber', 'contentLength'] },
);

const bucket = fc.stringMatching(/^[a-z0-9]{1,12}-125[0-9]{7}$/);
const endpoint = fc.oneof(
  fc
    .tuple(bucket, fc.constantFrom('ap-guangzhou', 'ap-shanghai', 'na-ashburn'))
    .map(([b, r]) => `https://${b}.cos.${r}.myqcloud.com`),
  fc.tuple(bucket, fc.integer({ min: 1, max: 65_535 })).map(([b, port]) => `http://127.0.0.1:${port}/${b}`),
);

const instant = fc.date({
  min: new Date('2001-01-01T00:00:00Z'),
  max: new Date('2099-12-31T23:59:59Z'),
  noInvalidDate: true,
});

/** Batches draw from small pools, so consecutive calls hit the presigner's caches and then miss them. */
const scenario = fc
  .record({
    endpoint,
    secretId: fc.stringMatching(/^AKID[A-Za-z0-9]{1,32}$/),
    secretKey: text.filter((s) => s.length > 0),
    sessionToken: fc.option(fc.string({ unit: fc.constantFrom(...'aZ09+/=-_'), minLength: 1, maxLength: 64 }), {
      nil: undefined,
    }),
    keys: fc.array(objectKey, { minLength: 1, maxLength: 3 }),
    uploadIds: fc.array(uploadId, { minLength: 1, maxLength: 2 }),
    instants: fc.array(instant, { minLength: 1, maxLength: 2 }),
    // Two lifetimes from one instant: a window that keeps its start but not its end.
    times: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 7 * 86_400 })), { minLength: 1, maxLength: 3 }),
    batches: fc.array(
      fc.record({
        key: fc.nat(),
        uploadId: fc.nat(),
        time: fc.nat(),
        parts: fc.array(part, { minLength: 1, maxLength: 12 }),
      }),
      { minLength: 1, maxLength: 4 },
    ),
  })
  .map(({ keys, uploadIds, instants, times, batches, ...s }) => {
    const pick = <T>(pool: readonly T[], i: number): T => pool[i % pool.length]!;
    return {
      ...s,
      batches: batches.map((b) => {
        const [instant, expiresSeconds] = pick(times, b.time);
        const now = pick(instants, instant);
        return { key: pick(keys, b.key), uploadId: pick(uploadIds, b.uploadId), now, expiresSeconds, parts: b.parts };
      }),
    };
  });

describe('batch presigner property', () => {
  it('signs every part URL exactly as COS.getAuthorization does, over keys, ids, parts, lengths and times', () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const storage = new CosObjectStorage({
          endpoint: s.endpoint,
          bucket: 'unused',
          region: 'unused',
          secretId: s.secretId,
          secretKey: s.secretKey,
          sessionToken: s.sessionToken,
          fetch: () => Promise.reject(new Error('presigning sends nothing')),
        });
        const base = new URL(s.endpoint);
        for (const b of s.batches) {
          const { now, expiresSeconds } = b;
          const urls = storage.presignUploadParts(b.key, b.uploadId, b.parts, now, expiresSeconds);
          expect(urls).toHaveLength(b.parts.length);
          // A minute of slack back for a COS clock behind ours, as presign.ts documents.
          const nowSeconds = Math.floor(now.getTime() / 1000);
          const keyTime = `${nowSeconds - 60};${nowSeconds + expiresSeconds}`;

          urls.forEach((p, i) => {
            const { partNumber, contentLength, md5, trafficLimit } = b.parts[i]!;
            const bound: Record<string, string> = {};
            if (md5 !== undefined) bound['Content-MD5'] = md5;
            if (trafficLimit !== undefined) bound['x-cos-traffic-limit'] = String(trafficLimit);
            expect(p.headers).toEqual(bound);
            expect(p.method).toBe('PUT');
            expect(p.expiresAt).toBe(new Date((nowSeconds + expiresSeconds) * 1000).toISOString());

            const url = new URL(p.url);
            expect(url.origin).toBe(base.origin);
            // COS decodes the path it received; that must be the `/<key>` both sides signed.
            const path = url.pathname.slice(base.pathname.replace(/\/$/, '').length);
            expect(path.split('/').map(decodeURIComponent).join('/')).toBe(`/${b.key}`);

            const q = Object.fromEntries(url.searchParams);
            const expectedParams = ['partNumber', 'uploadId', ...Q_FIELDS];
            if (s.sessionToken) expectedParams.push('x-cos-security-token');
            expect(Object.keys(q).sort()).toEqual(expectedParams.sort());
            expect(q.partNumber).toBe(String(partNumber));
            expect(q.uploadId).toBe(b.uploadId);
            expect(q['x-cos-security-token']).toBe(s.sessionToken);
            expect(q['q-key-time']).toBe(keyTime);
            // Whatever headers the client is told to send are signed ones, with the signed values.
            const signedHeaders = q['q-header-list']!.split(';');
            for (const name of Object.keys(p.headers)) expect(signedHeaders).toContain(name.toLowerCase());
            expect(p.headers['Content-Length'] ?? String(contentLength)).toBe(String(contentLength));

            const sdk = sdkFields(
              COS.getAuthorization({
                SecretId: s.secretId,
                SecretKey: s.secretKey,
                Method: 'PUT',
                Key: b.key,
                Query: { partNumber, uploadId: b.uploadId },
                Headers: { 'Content-Length': contentLength, Host: url.host, ...bound },
                KeyTime: keyTime,
              }),
            );
            expect(Object.fromEntries(Q_FIELDS.map((f) => [f, q[f]]))).toEqual(sdk);
          });
        }
      }),
      { numRuns: 200 },
    );
  });

  it('signs APPEND Object URLs (POST ?append&position) exactly as COS.getAuthorization does', () => {
    fc.assert(
      fc.property(
        endpoint,
        objectKey,
        fc.integer({ min: 0, max: 5 * 1024 ** 3 }),
        fc.integer({ min: 0, max: 5 * 1024 ** 3 }),
        instant,
        (ep, key, position, contentLength, now) => {
          const storage = new CosObjectStorage({
            endpoint: ep,
            bucket: 'unused',
            region: 'unused',
            secretId: 'AKIDappend',
            secretKey: 'append-secret',
            fetch: () => Promise.reject(new Error('presigning sends nothing')),
          });
          const p = storage.presignAppendObject(key, { position, contentLength, now, expiresSeconds: 600 });
          expect(p.method).toBe('POST');
          const url = new URL(p.url);
          expect(url.search.startsWith('?append&position=')).toBe(true);
          const q = Object.fromEntries(url.searchParams);
          expect(q.position).toBe(String(position));
          const nowSeconds = Math.floor(now.getTime() / 1000);
          const sdk = sdkFields(
            COS.getAuthorization({
              SecretId: 'AKIDappend',
              SecretKey: 'append-secret',
              Method: 'POST',
              Key: key,
              Query: { append: '', position },
              Headers: { 'Content-Length': contentLength, Host: url.host },
              KeyTime: `${nowSeconds - 60};${nowSeconds + 600}`,
            }),
          );
          expect(Object.fromEntries(Q_FIELDS.map((f) => [f, q[f]]))).toEqual(sdk);
        },
      ),
      { numRuns: 200 },
    );
  });
});
