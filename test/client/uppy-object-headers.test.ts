import Uppy, { type Body, type Meta } from '@uppy/core';
import { describe, expect, it } from 'vitest';
import CosUpload, { type CosUploadBody, type CosUploadMeta, type CosUploadOptions } from '../../client/uppy.ts';
import { FakeBackend, testBytes } from './fake-backend.ts';

/** The Uppy plugin passes object headers (options, then file meta), md5 and trafficLimit through. */

type M = CosUploadMeta & { contentDisposition?: string; album?: string };

/** Uppy with the plugin over a fresh fake backend, no limits read, and these options. */
function withPlugin(opts: Partial<CosUploadOptions<Meta, Body>>) {
  const fake = new FakeBackend({ partSize: 64 * 1024, singleMax: 32 * 1024 });
  const uppy = new Uppy<M, CosUploadBody>().use(CosUpload, {
    endpoint: fake.api,
    token: 't0k',
    fetch: fake.fetch,
    serverLimits: false,
    ...opts,
  });
  return { fake, uppy };
}

describe('CosUpload object headers', () => {
  it("sets the plugin's headers on every file, a file's meta overrides them, other meta never becomes one", async () => {
    const { fake, uppy } = withPlugin({
      md5: true,
      trafficLimit: 2_000_000,
      objectHeaders: (file) => ({
        storageClass: 'STANDARD_IA',
        contentDisposition: `attachment; filename="${file.name}"`,
      }),
    });
    const blob = (n: number) => new Blob([testBytes(n) as Uint8Array<ArrayBuffer>]);
    const a = uppy.addFile({ name: 'a.bin', type: 'application/octet-stream', data: blob(100 * 1024) });
    const b = uppy.addFile({
      name: 'b.bin',
      type: 'application/octet-stream',
      data: blob(10),
      meta: { contentDisposition: 'inline', album: 'x' },
    });
    const result = await uppy.upload();
    expect(result?.failed ?? []).toHaveLength(0);
    const byName = new Map([...fake.uploads.values()].map((s) => [s.upload.fileName, s.upload]));
    expect(byName.get('a.bin')).toMatchObject({
      storageClass: 'STANDARD_IA',
      contentDisposition: 'attachment; filename="a.bin"',
      state: 'completed',
    });
    expect(byName.get('b.bin')).toMatchObject({ storageClass: 'STANDARD_IA', contentDisposition: 'inline' });
    expect(byName.get('b.bin')).not.toHaveProperty('album');
    expect(fake.partUrlBodies.length).toBeGreaterThan(0);
    expect(fake.partUrlBodies.every((r) => r.md5s !== undefined && r.trafficLimit === 2_000_000)).toBe(true);
    expect([a, b].every((id) => uppy.getFile(id).progress.uploadComplete)).toBe(true);
  });

  it('creates each file under the profile the option names for it', async () => {
    const { fake, uppy } = withPlugin({
      profile: (file) => (file.name.endsWith('.png') ? 'avatars' : undefined),
    });
    const blob = new Blob([testBytes(10) as Uint8Array<ArrayBuffer>]);
    uppy.addFile({ name: 'me.png', type: 'image/png', data: blob });
    uppy.addFile({ name: 'notes.txt', type: 'text/plain', data: blob });
    const result = await uppy.upload();
    expect(result?.failed ?? []).toHaveLength(0);
    const byName = new Map([...fake.uploads.values()].map((s) => [s.upload.fileName, s.upload]));
    expect(byName.get('me.png')).toMatchObject({ profile: 'avatars', state: 'completed' });
    expect(byName.get('notes.txt')).toMatchObject({ profile: null, state: 'completed' });
  });
});
