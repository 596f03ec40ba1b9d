import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createUploadBody } from '../../shared/api/schemas.ts';
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
      fetch: (async () => initiated()) as typeof fetch,
    }),
    clock: { now: () => new Date('2026-06-01T00:00:00Z') },
    ids: { uploadId: () => `upl_${String(++n).padStart(26, '0')}` },
    limits: { ...limitsFrom(config), maxOpenUploadsPerOwner: 1_000_000 },
    log: createLogger('silent'),
    completions: { started: () => undefined },
  };
}

const anyText = fc.string({ unit: 'binary', maxLength: 40 });
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

describe('whatever create accepts, part-urls signs', () => {
  it('holds for generated bodies (fileName, contentType, metadata, size)', async () => {
    const d = deps();
    let accepted = 0;
    await fc.assert(
      fc.asyncProperty(body, async (raw) => {
        const parsed = createUploadBody.safeParse(raw);
        if (!parsed.success) return;
        accepted++;
        const upload = await createUpload(d, 'alice', parsed.data);
        if (upload.state === 'completed') return; // 0 bytes: written at create, nothing to sign
        const urls = await partUrls(d, upload, { partNumbers: [1] });
        expect(urls).toHaveLength(1);
      }),
      { numRuns: 400 },
    );
    expect(accepted).toBeGreaterThan(20);
  });

  it('refuses at create what COS would refuse later: a_b, a leading -, capitals, 3 KB of metadata', () => {
    for (const metadata of [{ a_b: 'x' }, { '-a': 'x' }, { Album: 'x' }, { big: 'x'.repeat(3 * 1024) }, { k: ' v' }]) {
      expect(createUploadBody.safeParse({ fileName: 'f', metadata }).success, JSON.stringify(metadata)).toBe(false);
    }
    expect(createUploadBody.safeParse({ fileName: 'f', contentType: 'image/png; x=é' }).success).toBe(false);
    expect(createUploadBody.safeParse({ fileName: 'f', metadata: { 'album-2026': 'summer trip' } }).success).toBe(true);
  });
});
