import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { UploadProgress } from '../../client/types.ts';
import type { FileRow } from '../../client/web/file-row.ts';

/**
 * The web page's file row without a browser: the little of the DOM it touches, faked. The page as
 * a whole runs in Chromium in test/e2e/browser.test.ts.
 */
class FakeElement {
  className = '';
  textContent: string | null = null;
  dataset: Record<string, string> = {};
  children: FakeElement[] = [];
  disabled = false;
  type = '';
  max = 0;
  value = 0;
  readonly tagName: string;
  constructor(tagName: string) {
    this.tagName = tagName;
  }
  append(...nodes: FakeElement[]): void {
    this.children.push(...nodes);
  }
  replaceChildren(...nodes: FakeElement[]): void {
    this.children = nodes;
  }
  addEventListener(): void {}
}

const scope = globalThis as { document?: unknown };
beforeAll(() => {
  scope.document = { createElement: (tag: string) => new FakeElement(tag) };
});
afterAll(() => {
  delete scope.document;
});

async function row(): Promise<{ row: FileRow; el: FakeElement; status: FakeElement; buttons: FakeElement[] }> {
  const { FileRow } = await import('../../client/web/file-row.ts');
  const r = new FileRow(new File(['x'], 'clip.mp4'), { pause() {}, resume() {}, cancel() {} });
  const el = r.el as unknown as FakeElement;
  const controls = el.children[2]!;
  // Pause and Cancel (Retry, third, shows on failed rows only).
  return { row: r, el, status: controls.children[0]!, buttons: controls.children.slice(2, 4) };
}

const progress = (phase: UploadProgress['phase'], partsDone = 4): UploadProgress => ({
  phase,
  bytesSent: partsDone * 1024 * 1024,
  totalBytes: 4 * 1024 * 1024,
  partsDone,
  partCount: 4,
  resumedBytes: 0,
});

describe('web file row', () => {
  it('shows "assembling…" while COS merges, with no button to press, then done', async () => {
    const { row: r, el, status, buttons } = await row();
    r.setUploadId('upl_1', false);
    r.setProgress(progress('uploading', 3));
    expect([el.dataset.state, status.textContent]).toEqual(['uploading', 'uploading']);
    r.setProgress(progress('assembling'));
    expect([el.dataset.state, status.textContent]).toEqual(['assembling', 'assembling…']);
    expect(buttons.map((b) => b.disabled)).toEqual([true, true]);
    r.done({ key: 'u/o/upl_1/clip.mp4', etag: '"e"' } as Parameters<FileRow['done']>[0]);
    expect([el.dataset.state, status.textContent]).toEqual(['done', 'done']);
  });

  it('goes back to uploading when the assembly failed and parts are sent again', async () => {
    const { row: r, el, buttons } = await row();
    r.setUploadId('upl_2', true);
    r.setProgress(progress('assembling'));
    r.setProgress(progress('uploading', 3));
    expect(el.dataset.state).toBe('uploading');
    expect(buttons.map((b) => b.disabled)).toEqual([false, false]);
  });

  it('a late assembling event does not revive a cancelled or failed row', async () => {
    const { row: r, el } = await row();
    r.setState('cancelled', 'cancelling…');
    r.setProgress(progress('assembling'));
    expect(el.dataset.state).toBe('cancelled');
  });
});
