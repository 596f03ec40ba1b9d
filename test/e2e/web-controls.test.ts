import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type E2eStack, launchChromium, randomBytes, readObject, startE2eStack } from './helpers.ts';

/**
 * The web page's controls in headless Chromium: rate and time left, friendly status text, Retry on
 * a failed row, "Clear finished", and discarding an interrupted upload from the resume banner.
 * (The upload and reload-resume path itself is test/e2e/browser.test.ts.)
 */
const MiB = 1024 * 1024;

describe('web page controls in headless Chromium', () => {
  let e2e: E2eStack;
  let browser: Browser;
  let token: string;
  beforeAll(async () => {
    e2e = await startE2eStack();
    token = await e2e.stack.token('e2e-web-controls');
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await e2e?.close();
  });

  const open = async (query: string): Promise<{ page: Page; errors: string[] }> => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${e2e.stack.apiUrl}/?${query}&partSize=${MiB}&concurrency=1`);
    return { page, errors };
  };
  const file = (name: string, size: number, seed: number) => {
    const path = join(e2e.dir, name);
    const bytes = randomBytes(size, seed);
    writeFileSync(path, bytes);
    return { path, bytes };
  };
  const upload = async (id: string) => {
    const res = await fetch(`${e2e.stack.apiUrl}/v1/uploads/${id}`, { headers: { authorization: `Bearer ${token}` } });
    return (await res.json()) as { upload: { state: string; key: string } };
  };

  it('shows the rate and time left while sending, and status in words, never a raw id', async () => {
    const { page, errors } = await open(`token=${encodeURIComponent(token)}`);
    const { path, bytes } = file('rate.bin', 22 * MiB, 3);
    const faults = e2e.stack.emulator.faults;
    faults.add({ op: 'UploadPart', count: 1000, action: { type: 'delay', ms: 80 } });
    try {
      await page.setInputFiles('#files', path);
      const row = page.locator('.file').first();
      // Read together: status and numbers of one moment, while parts are still being sent.
      const shown = () =>
        row.evaluate(
          (el) => `${el.querySelector('.status')?.textContent}|${el.querySelector('.numbers')?.textContent}`,
        );
      await expect
        .poll(shown, { timeout: 30_000 })
        .toMatch(
          /^uploading\|\d+\.\d MiB \/ 22\.0 MiB · \d+(\.\d)? (MiB|KiB)\/s · (\d+ s|\d+ min \d+ s) left · part \d+\/22$/,
        );
      expect(Number(await row.getAttribute('data-rate'))).toBeGreaterThan(0);
      expect(await row.locator('.status').textContent()).not.toMatch(/upl_/);
      expect(await row.locator('.status').getAttribute('title')).toMatch(/^upload id upl_/);
      await expect.poll(() => row.getAttribute('data-state'), { timeout: 60_000 }).toBe('done');
      expect(Buffer.compare(await readObject(e2e.stack, (await row.locator('.key').textContent())!), bytes)).toBe(0);
    } finally {
      faults.clear();
    }
    expect(errors).toEqual([]);
    await page.close();
  });

  it('a failed row says why in words and offers Retry, which finishes it in place; Clear finished removes done rows', async () => {
    const { page, errors } = await open('token=not-a-valid-token');
    const small = file('retry me.txt', 4096, 5);
    await page.setInputFiles('#files', small.path);
    const row = page.locator('.file').first();
    await expect.poll(() => row.getAttribute('data-state'), { timeout: 30_000 }).toBe('failed');
    expect(await row.getAttribute('data-error-code')).toBe('UNAUTHORIZED');
    expect(await row.locator('.status').textContent()).toBe(
      'failed: the token was refused (expired or wrong): paste a fresh one above',
    );
    expect(await row.locator('.retry').isVisible()).toBe(true);
    expect(await row.locator('.pause').isVisible()).toBe(false);
    expect(await page.locator('#clear-finished').isVisible()).toBe(false);

    // A second file that finishes, below it.
    await page.fill('#token', token);
    await page.setInputFiles('#files', file('fine.txt', 2048, 6).path);
    await expect.poll(() => page.locator('.file[data-state="done"]').count(), { timeout: 30_000 }).toBe(1);
    expect(await page.locator('#clear-finished').isVisible()).toBe(true);

    // Retry with the right token: the failed row becomes a done row where it was.
    await page.locator('.file[data-state="failed"] .retry').click();
    await expect.poll(() => page.locator('.file[data-state="done"]').count(), { timeout: 30_000 }).toBe(2);
    expect(await page.locator('.file').count()).toBe(2);
    expect(await page.locator('.file').nth(1).getAttribute('data-name')).toBe('retry me.txt');
    const key = (await page.locator('.file').nth(1).locator('.key').textContent())!;
    expect(Buffer.compare(await readObject(e2e.stack, key), Buffer.from(small.bytes))).toBe(0);

    await page.locator('#clear-finished').click();
    expect(await page.locator('.file').count()).toBe(0);
    expect(await page.locator('#clear-finished').isVisible()).toBe(false);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('an interrupted upload can be discarded from the resume banner: deleted on the server, gone from the banner', async () => {
    const { page, errors } = await open(`token=${encodeURIComponent(token)}`);
    const faults = e2e.stack.emulator.faults;
    faults.add({ op: 'UploadPart', count: 10_000, action: { type: 'delay', ms: 200 } });
    let id: string;
    try {
      await page.setInputFiles('#files', file('abandoned.bin', 24 * MiB, 9).path);
      const row = page.locator('.file').first();
      await expect.poll(() => row.getAttribute('data-upload-id'), { timeout: 30_000 }).toMatch(/^upl_/);
      id = (await row.getAttribute('data-upload-id'))!;
      await page.reload();
    } finally {
      faults.clear();
    }
    const entry = page.locator(`#pending li[data-upload-id="${id}"]`);
    await expect.poll(() => entry.textContent()).toContain('abandoned.bin');
    expect(await page.locator('#pending').textContent()).toContain('pick the same file again to resume, or discard it');
    await entry.locator('.discard').click();
    await expect.poll(() => page.locator('#pending').textContent(), { timeout: 30_000 }).toBe('');
    expect((await upload(id)).upload.state).toBe('aborted');
    // Gone for good: a reload does not bring it back.
    await page.reload();
    expect(await page.locator('#pending').textContent()).toBe('');
    expect(errors).toEqual([]);
    await page.close();
  });

  it('a finished row links its file: Download fetches a fresh download URL and the browser saves it under its name', async () => {
    const { page, errors } = await open(`token=${encodeURIComponent(token)}`);
    const { path, bytes } = file('holiday photo.bin', 3 * MiB + 5, 11);
    await page.setInputFiles('#files', path);
    const row = page.locator('.file').first();
    await expect.poll(() => row.getAttribute('data-state'), { timeout: 60_000 }).toBe('done');
    const [download] = await Promise.all([page.waitForEvent('download'), row.locator('.download').click()]);
    expect(download.suggestedFilename()).toBe('holiday photo.bin');
    const saved = join(e2e.dir, 'downloaded.bin');
    await download.saveAs(saved);
    expect(Buffer.compare(readFileSync(saved), bytes)).toBe(0);
    expect(errors).toEqual([]);
    await page.close();
  });
});
