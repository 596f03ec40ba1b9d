import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type E2eStack, launchChromium, randomBytes, readObject, startE2eStack } from './helpers.ts';

describe('upload page: several small files picked at once go in batches', () => {
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

  it('6 files: one batch create, batch completes, no per-file create or part-urls; every object matches', async () => {
    const token = await e2e.stack.token('e2e-web-batch');
    const files = Array.from({ length: 6 }, (_, i) => {
      const path = join(e2e.dir, `photo ${i}.jpg`);
      const bytes = randomBytes(10_000 + i * 1000, 100 + i);
      writeFileSync(path, bytes);
      return { path, bytes };
    });
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    const calls: string[] = [];
    page.on('request', (r) => {
      const u = new URL(r.url());
      if (u.pathname.startsWith('/v1/')) calls.push(`${r.method()} ${u.pathname.replace(/upl_[0-9a-z]+/, '{id}')}`);
    });
    await page.goto(`${e2e.stack.apiUrl}/?token=${encodeURIComponent(token)}`);
    await page.setInputFiles(
      '#files',
      files.map((f) => f.path),
    );
    const rows = page.locator('.file');
    await expect.poll(() => rows.count()).toBe(6);
    await expect
      .poll(async () => (await rows.evaluateAll((els) => els.map((e) => e.getAttribute('data-state')))).join(), {
        timeout: 30_000,
      })
      .toBe(Array(6).fill('done').join());
    expect(errors).toEqual([]);
    expect(calls.filter((c) => c === 'POST /v1/uploads/batch')).toHaveLength(1);
    expect(calls.filter((c) => c === 'POST /v1/uploads/batch-complete').length).toBeGreaterThanOrEqual(1);
    expect(
      calls.filter((c) => c === 'POST /v1/uploads' || c.endsWith('/part-urls') || c.endsWith('/complete')),
    ).toEqual([]);
    // Batched rows have no pause or cancel of their own.
    expect(await page.locator('.file button:visible', { hasText: 'Pause' }).count()).toBe(0);
    const ids = await rows.evaluateAll((els) => els.map((e) => e.getAttribute('data-upload-id')!));
    for (const id of ids) {
      const res = await fetch(`${e2e.stack.apiUrl}/v1/uploads/${id}`, {
        headers: { authorization: `Bearer ${token}` },
      });
      const { upload } = (await res.json()) as { upload: { key: string; fileName: string; state: string } };
      expect(upload.state).toBe('completed');
      const f = files.find((x) => x.path.endsWith(upload.fileName))!;
      expect(Buffer.compare(await readObject(e2e.stack, upload.key), f.bytes)).toBe(0);
    }
  });
});
