import { utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crc64 } from '../../shared/core/crc64.ts';
import { type E2eStack, launchChromium, randomBytes, readObject, startE2eStack } from './helpers.ts';

const MiB = 1024 * 1024;

describe('browser upload page in headless Chromium', () => {
  let e2e: E2eStack;
  let browser: Browser;
  beforeAll(async () => {
    e2e = await startE2eStack();
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await e2e?.close();
  });

  it('uploads a 30 MiB file, survives a reload mid-upload by resuming, and the object matches', async () => {
    const token = await e2e.stack.token('e2e-browser');
    const bytes = randomBytes(30 * MiB, 21);
    // A path rather than a buffer: Playwright pushes buffers through base64 and a per-byte
    // callback in the page, ~10 s for 30 MiB; a path is handed to Chromium directly.
    const file = join(e2e.dir, 'browser clip.bin');
    writeFileSync(file, bytes);
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${e2e.stack.apiUrl}/?token=${encodeURIComponent(token)}&partSize=${MiB}&concurrency=2`);

    // Slow parts so the reload lands mid-upload.
    const faults = e2e.stack.emulator.faults;
    faults.add({ op: 'UploadPart', count: 10_000, action: { type: 'delay', ms: 150 } });
    await page.setInputFiles('#files', file);
    const row = page.locator('.file').first();
    await expect.poll(() => row.getAttribute('data-upload-id'), { timeout: 30_000 }).toMatch(/^upl_/);
    const id = (await row.getAttribute('data-upload-id'))!;
    const recorded = async () => {
      const res = await fetch(`${e2e.stack.apiUrl}/v1/uploads/${id}`, {
        headers: { authorization: `Bearer ${token}` },
      });
      return ((await res.json()) as { parts: unknown[] }).parts.length;
    };
    await expect.poll(recorded, { timeout: 30_000, interval: 100 }).toBeGreaterThanOrEqual(5);
    expect(await row.getAttribute('data-state')).toBe('uploading');

    await page.reload();
    faults.clear();
    await expect.poll(() => page.locator('#pending').textContent()).toContain('browser clip.bin');
    // The File did not survive the reload: pick it again. Touch it first so its lastModified
    // differs, as with pickers that do not keep it: name + size must still find the upload.
    utimesSync(file, new Date(), new Date(Date.now() + 60_000));
    await page.setInputFiles('#files', file);
    const resumed = page.locator('.file').first();
    await expect.poll(() => resumed.getAttribute('data-state'), { timeout: 60_000 }).toBe('done');
    expect(await resumed.getAttribute('data-upload-id')).toBe(id);
    expect(Number(await resumed.getAttribute('data-resumed-bytes'))).toBeGreaterThanOrEqual(5 * MiB);
    const key = (await resumed.locator('.key').textContent())!;
    const etag = (await resumed.locator('.etag').textContent())!;
    expect(etag).toMatch(/^"[0-9a-f]{32}-30"$/);
    expect(await page.locator('#pending').textContent()).toBe('');

    const res = await fetch(`${e2e.stack.apiUrl}/v1/uploads/${id}`, { headers: { authorization: `Bearer ${token}` } });
    const { upload } = (await res.json()) as { upload: { key: string; etag: string; crc64: string; state: string } };
    expect(upload).toMatchObject({ key, etag, state: 'completed', crc64: crc64(bytes).toString() });
    expect(Buffer.compare(await readObject(e2e.stack, key), bytes)).toBe(0);
    expect(errors).toEqual([]);
    await page.close();
  });
});
