import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, bytesOf, putPart } from '../helpers/api-client.ts';
import { type E2eStack, runScript, startE2eStack } from './helpers.ts';

/** `npm run download -- <id> [out]` against the local stack: the object back, byte for byte. */
let e2e: E2eStack;
let token: string;
beforeAll(async () => {
  e2e = await startE2eStack();
  token = await e2e.stack.token('downloader');
});
afterAll(() => e2e?.close());

const run = (args: string[]) =>
  runScript('client/download-cli.ts', args, { UPLOADS_API_URL: e2e.stack.apiUrl, UPLOADS_TOKEN: token });

describe('download CLI', () => {
  it('writes a completed upload to a file, refuses to overwrite without --force, and names a bad id', async () => {
    const api = apiClient(e2e.stack.apiUrl, token);
    const bytes = bytesOf(300_000, 91);
    const up = (await api.create({ fileName: 'photo.jpg', size: bytes.length })).body.upload;
    const url = (await api.partUrls(up.id, { partNumbers: [1] })).body.urls[0]!;
    expect((await putPart(url, bytes)).status).toBe(200);
    expect((await api.complete(up.id)).status).toBe(200);

    const out = join(e2e.dir, 'back.jpg');
    const ran = await run([up.id, out]);
    expect(ran.code, ran.stderr).toBe(0);
    expect(JSON.parse(ran.stdout)).toEqual({ id: up.id, path: out, size: bytes.length });
    expect(Buffer.compare(readFileSync(out), Buffer.from(bytes))).toBe(0);

    writeFileSync(out, 'something else');
    const again = await run([up.id, out]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/exists \(use --force/);
    expect((await run([up.id, out, '--force'])).code).toBe(0);
    expect(Buffer.compare(readFileSync(out), Buffer.from(bytes))).toBe(0);

    const missing = await run(['upl_00000000000000000000000000', join(e2e.dir, 'x')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/NOT_FOUND/);
    const v1 = await run([up.id, '--api', `${e2e.stack.apiUrl}/v1`]);
    expect(v1.code).toBe(2);
    expect(v1.stderr).toMatch(/drop the trailing \/v1/);
  });
});
