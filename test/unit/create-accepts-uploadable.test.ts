import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createUploadBody, partUrlsBody } from '../../shared/api/schemas.ts';
import { COS_STORAGE_CLASSES } from '../../shared/core/object-headers.ts';
import { createUpload } from '../../shared/core/create-upload.ts';
import type { CoreDeps } from '../../shared/core/deps.ts';
import { partUrls } from '../../shared/core/part-urls.ts';
import { CosObjectStorage } from '../../shared/cos/cos-object-storage.ts';
import { createLogger } from '../../shared/logger.ts';
import { limitsFrom } from '../../shared/runtime/runtime.ts';
import { parseConfig } from '../../shared/config.ts';
import { SqliteUploadStore } from '../../shared/store/sqlite-store.ts';

/**
 * docs/API.md: "an upload that create accepts can always be uploaded". Every body the create schema
 * accepts goes through the real core, SQLite store and COS adapter (a fetch that answers Initiate
 * as COS does), and part-urls must then sign part 1. A field the adapter would refuse later (a
 * header value fetch cannot send, a metadata name COS rejects) fails here as a stuck upload.
 */
const initiated = () =>
  new Response(
    '<InitiateMultipartUploadResult><Bucket>b</Bucket><Key>k</Key><UploadId>up-1</UploadId></InitiateMultipartUploadResult>',
    { status: 200, headers: { 'content-type': 'application/xml', etag: '"d41d8cd98f00b204e9800998ecf8427e"' } },
  );

function deps(): CoreDeps {
  const config = parseConfig({ COS_SECRET_ID: 'AKIDx', COS_SECRET_KEY: 'k', AUTH_JWT_SECRET: 'x'.repeat(16) });
  let n = 0;
  return {
    store: new SqliteUploadStore({ path: ':memory:' }),
    storage: new CosObjectStorage({
      endpoint: 'https://uploads-1250000000.cos.ap-guangzhou.myqcloud.com',
      bucket: 'uploads-1250000000',
      region: 'ap-guangzhou',
      secretId: 'AKIDx',
      secretKey: 'k',
      // What fetch itself would refuse to send (a header value outside Latin-1, a CR) throws here too.
      fetch: (async (_url: string, init?: RequestInit) => {
        new Headers(init?.headers);
        return initiated();
      }) as typeof fetch,
    }),
    clock: { now: () => new Date('2026-06-01T00:00:00Z') },
    ids: { uploadId: () => `upl_${String(++n).padStart(26, '0')}` },
    limits: {
      ...limitsFrom(config),
      maxOpenUploadsPerOwner: 1_000_000,
      allowedStorageClasses: COS_STORAGE_CLASSES,
      trafficLimitBps: 5_000_000,
    },
    log: createLogger('silent'),
    completions: { started: () => undefined },
  };
}

const anyText = fc.string({ unit: 'binary', maxLength: 40 });
const objectHeader = fc.oneof(
  // Mostly plausible values, so enough bodies pass the schema to reach COS; then the hostile ones.
  {
    arbitrary: fc.string({ unit: fc.constantFrom('a', '=', ',', ';', '-', '0'), minLength: 1, maxLength: 20 }),
    weight: 6,
  },
  anyText,
  fc.string({ unit: fc.constantFrom('a', '=', ',', ';', ' ', '"', '\t', '\r', 'é'), maxLength: 20 }),
  fc.string({ unit: 'grapheme-ascii', minLength: 1000, maxLength: 1030 }),
);
const headerish = fc.oneof(
  anyText,
  fc.string({ unit: fc.constantFrom('a', 'z', '0', '-', '_', ' ', 'A', 'é'), maxLength: 12 }),
);
const body = fc.record(
  {
    fileName: fc.oneof(anyText, fc.constantFrom('report\u202Efdp.exe', 'a\ud800b', '../x', ' . ', 'ok.bin')),
    size: fc.integer({ min: 0, max: 64 * 1024 * 1024 }),
    contentType: fc.oneof(
      fc.constantFrom('image/png', 'image/png; x=é', 'text/plain; charset=utf-8', 'text/plain ', 'a/b;\u0000'),
      anyText,
    ),
    metadata: fc.dictionary(headerish, headerish, { maxKeys: 12 }),
  },
  { requiredKeys: ['fileName'] },
);
/** The object headers, on bodies whose other fields are fine (so that enough of them reach COS). */
const withHeaders = fc
  .record(
    {
      size: fc.integer({ min: 0, max: 64 * 1024 * 1024 }),
      storageClass: fc.oneof(
        { arbitrary: fc.constantFrom(...COS_STORAGE_CLASSES), weight: 8 },
        fc.constantFrom('standard', 'GLACIER', ''),
        anyText,
      ),
      cacheControl: objectHeader,
      contentDisposition: fc.oneof(
        objectHeader,
        fc.constantFrom(
          'attachment; filename="a b.pdf"',
          "attachment; filename*=UTF-8''%C3%A9.pdf",
          'inline; filename="é"',
        ),
      ),
      contentEncoding: objectHeader,
      contentLanguage: objectHeader,
      expires: fc.oneof(
        { arbitrary: fc.date({ noInvalidDate: true }).map((d) => d.toUTCString()), weight: 6 },
        fc.constantFrom(
          'Sun, 31 Nov 2026 00:00:00 GMT',
          'Mon, 01 Dec 2026 00:00:00 GMT',
          '0',
          'Tue, 01 Dec 2026 00:00:00 UTC',
        ),
        anyText,
      ),
    },
    { requiredKeys: [] },
  )
  .map((h) => ({ fileName: 'cv.pdf', ...h }));
const anyBody = fc.oneof(body, withHeaders);
/** What part-urls may be asked besides the part number: an MD5 (well-formed or not) and a traffic limit. */
const partAsk = fc.record(
  {
    md5: fc.oneof(
      fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => Buffer.from(b).toString('base64')),
      fc.uint8Array({ minLength: 0, maxLength: 20 }).map((b) => Buffer.from(b).toString('base64')),
      anyText,
    ),
    trafficLimit: fc.oneof(fc.integer({ min: 819_000, max: 839_000_000 }), fc.double()),
  },
  { requiredKeys: [] },
);

describe('whatever create accepts, part-urls signs', () => {
  it('holds for generated bodies (fileName, contentType, metadata, size, object headers; md5 and traffic limit)', async () => {
    const d = deps();
    let accepted = 0;
    let withHeaders = 0;
    let signedAsks = 0;
    await fc.assert(
      fc.asyncProperty(anyBody, partAsk, async (raw, ask) => {
        const parsed = createUploadBody.safeParse(raw);
        if (!parsed.success) return;
        accepted++;
        if (parsed.data.expires !== undefined || parsed.data.contentDisposition !== undefined) withHeaders++;
        const upload = await createUpload(d, 'alice', parsed.data);
        if (upload.state === 'completed') return; // 0 bytes: written at create, nothing to sign
        const urls = await partUrls(d, upload, { partNumbers: [1] });
        expect(urls).toHaveLength(1);
        const asked = partUrlsBody.safeParse({
          parts: [{ partNumber: 1, md5: ask.md5 ?? '1B2M2Y8AsgTpgAmY7PhCfg==' }],
          ...(ask.trafficLimit === undefined ? {} : { trafficLimit: ask.trafficLimit }),
        });
        if (!asked.success) return;
        signedAsks++;
        const [url] = await partUrls(d, upload, asked.data);
        // Whatever part-urls accepts, the URL can carry: fetch takes the headers it lists.
        expect(() => new Headers(url!.headers)).not.toThrow();
      }),
      { numRuns: 600 },
    );
    expect(accepted).toBeGreaterThan(20);
    expect(withHeaders).toBeGreaterThan(5);
    expect(signedAsks).toBeGreaterThan(5);
  });

  it('refuses at create what COS would refuse later: a_b, a leading -, capitals, 3 KB of metadata', () => {
    for (const metadata of [{ a_b: 'x' }, { '-a': 'x' }, { Album: 'x' }, { big: 'x'.repeat(3 * 1024) }, { k: ' v' }]) {
      expect(createUploadBody.safeParse({ fileName: 'f', metadata }).success, JSON.stringify(metadata)).toBe(false);
    }
    expect(createUploadBody.safeParse({ fileName: 'f', contentType: 'image/png; x=é' }).success).toBe(false);
    expect(createUploadBody.safeParse({ fileName: 'f', metadata: { 'album-2026': 'summer trip' } }).success).toBe(true);
  });

  it('refuses object headers COS or fetch would refuse, and a storage class outside the allow-list', async () => {
    for (const bad of [
      { cacheControl: ' max-age=1' },
      { contentDisposition: 'inline; filename="é.pdf"' },
      { contentEncoding: 'gzip\r\nx-cos-acl: public-read' },
      { contentLanguage: 'x'.repeat(1025) },
      { cacheControl: '' },
      { expires: 'Sun, 31 Nov 2026 00:00:00 GMT' }, // no 31 November
      { expires: 'Mon, 01 Dec 2026 00:00:00 GMT' }, // 1 December 2026 is a Tuesday
      { expires: '2026-12-01T00:00:00Z' },
      { storageClass: 'standard' },
      { storageClass: 'GLACIER' },
    ]) {
      expect(createUploadBody.safeParse({ fileName: 'f', ...bad }).success, JSON.stringify(bad)).toBe(false);
    }
    const ok = createUploadBody.parse({ fileName: 'f', size: 5, expires: 'Tue, 01 Dec 2026 00:00:00 GMT' });
    expect(ok.expires).toBe('Tue, 01 Dec 2026 00:00:00 GMT');
    const d = deps();
    d.limits = { ...d.limits, allowedStorageClasses: ['STANDARD'] };
    await expect(createUpload(d, 'alice', { fileName: 'f', size: 5, storageClass: 'ARCHIVE' })).rejects.toMatchObject({
      status: 400,
      code: 'VALIDATION_FAILED',
      details: { issues: [{ path: ['storageClass'] }] },
    });
  });
});
