import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listParams, startTestEmulator, type TestEmulator } from '../helpers/cos-emulator.ts';

/** State lives in dataDir: a restarted emulator still has objects, open uploads with parts, tokens. */

let t: TestEmulator;
beforeAll(async () => {
  t = await startTestEmulator();
});
afterAll(() => t.close());

describe('persistence across restarts', () => {
  it('keeps an object, an in-progress upload with its parts, and issued tokens', async () => {
    const cos = t.cos();
    await cos.putObject({
      ...t.target,
      Key: 'kept/object.txt',
      Body: Buffer.from('still here'),
      ContentType: 'text/plain',
    });
    const Key = 'kept/in progress.bin';
    const { UploadId } = await cos.multipartInit({ ...t.target, Key });
    const part1 = Buffer.alloc(1024 * 1024, 7);
    const p1 = await cos.multipartUpload({ ...t.target, Key, UploadId, PartNumber: 1, Body: part1 });
    const policy = {
      version: '2.0',
      statement: [{ effect: 'allow', action: ['name/cos:GetObject'], resource: ['*'] }],
    };
    const token = await t
      .stsClient()
      .GetFederationToken({ Name: 'kept', Policy: encodeURIComponent(JSON.stringify(policy)) });

    await t.restart();
    const again = t.cos(); // new port, same dataDir

    const obj = await again.getObject({ ...t.target, Key: 'kept/object.txt' });
    expect(Buffer.from(obj.Body as Buffer).toString()).toBe('still here');
    expect(obj.headers?.['content-type']).toBe('text/plain');

    const parts = await again.multipartListPart({ ...t.target, Key, UploadId });
    expect(parts.Part.map((p) => [p.PartNumber, p.ETag])).toEqual([['1', p1.ETag]]);
    const uploads = await again.multipartList(listParams({ ...t.target, Prefix: 'kept/' }));
    expect(uploads.Upload.map((u) => u.UploadId)).toEqual([UploadId]);

    const p2 = await again.multipartUpload({ ...t.target, Key, UploadId, PartNumber: 2, Body: Buffer.from('end') });
    await again.multipartComplete({
      ...t.target,
      Key,
      UploadId,
      Parts: [
        { PartNumber: 1, ETag: p1.ETag },
        { PartNumber: 2, ETag: p2.ETag },
      ],
    });
    const whole = await again.getObject({ ...t.target, Key });
    expect(Buffer.from(whole.Body as Buffer).equals(Buffer.concat([part1, Buffer.from('end')]))).toBe(true);

    const c = token.Credentials!;
    const temp = t.cos({ SecretId: c.TmpSecretId!, SecretKey: c.TmpSecretKey!, SecurityToken: c.Token! });
    expect((await temp.getObject({ ...t.target, Key: 'kept/object.txt' })).statusCode).toBe(200);
  });
});
