import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { contentTypeAllowed } from '../../shared/core/content-type.ts';
import { objectKey, ownerHash, sanitizeFileName, uploadIdFromKey } from '../../shared/core/keys.ts';
import { newUploadId } from '../../shared/runtime/ids.ts';

describe('sanitizeFileName', () => {
  it.each([
    ['../../etc/passwd', '_._etc_passwd'],
    ['a/b\\c', 'a_b_c'],
    ['x\u0000y\u001fz\u007f', 'xyz'],
    ['star*and?q', 'star_and_q'],
    ['  ..  ', 'file'],
  ])('%j → %j', (input, expected) => {
    expect(sanitizeFileName(input)).toBe(expected);
  });

  it('keeps ordinary names intact', () => {
    expect(sanitizeFileName('holiday.mp4')).toBe('holiday.mp4');
    expect(sanitizeFileName('my file+(1).bin')).toBe('my file+(1).bin');
    expect(sanitizeFileName('照片 2026.jpg')).toBe('照片 2026.jpg');
  });

  it('property: never a separator, traversal, control char or wildcard; ≤ 200 bytes', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 300 }), (name) => {
        const out = sanitizeFileName(name);
        expect(out).not.toMatch(/[/\\*?]|\p{Cc}/u);
        expect(out).not.toContain('..');
        expect(Buffer.byteLength(out)).toBeLessThanOrEqual(200);
        expect(out.length).toBeGreaterThan(0);
      }),
      { numRuns: 3000 },
    );
  });
});

describe('object keys', () => {
  it('are u/<owner-hash>/<id>/<name> and give the id back', () => {
    const id = newUploadId();
    const key = objectKey('u/', 'alice@example.com', id, '../x.bin');
    expect(key).toBe(`u/${ownerHash('alice@example.com')}/${id}/_x.bin`);
    expect(uploadIdFromKey('u/', key)).toBe(id);
    expect(uploadIdFromKey('u/', 'other/x')).toBeNull();
  });

  it('ids carry 128 bits: 26 base32 chars, unique', () => {
    const ids = new Set(Array.from({ length: 1000 }, newUploadId));
    expect(ids.size).toBe(1000);
    for (const id of ids) expect(id).toMatch(/^upl_[0-9a-z]{26}$/);
  });
});

describe('contentTypeAllowed', () => {
  it('matches wildcards and exact types, ignoring parameters and case', () => {
    expect(contentTypeAllowed('video/mp4', 'image/*,video/mp4')).toBe(true);
    expect(contentTypeAllowed('image/PNG', 'image/*,video/mp4')).toBe(true);
    expect(contentTypeAllowed('text/plain; charset=utf-8', 'text/plain')).toBe(true);
    expect(contentTypeAllowed('video/webm', 'image/*,video/mp4')).toBe(false);
    expect(contentTypeAllowed('application/x.y+z', '*/*')).toBe(true);
    expect(contentTypeAllowed('imageXpng/x', 'image/*')).toBe(false);
  });

  it('admits image/svg+xml (script-capable when served) only when listed without a wildcard', () => {
    for (const list of ['image/*', '*/*', 'image/svg*', 'image/*+xml', '*/svg+xml', 'image/png,image/*'])
      for (const type of ['image/svg+xml', 'IMAGE/SVG+XML', 'image/svg+xml; charset=utf-8', ' image/svg+xml '])
        expect(contentTypeAllowed(type, list), `${type} under ${list}`).toBe(false);
    expect(contentTypeAllowed('image/svg+xml', 'image/*,image/svg+xml')).toBe(true);
    expect(contentTypeAllowed('Image/SVG+xml; charset=utf-8', 'image/png, IMAGE/SVG+XML')).toBe(true);
    expect(contentTypeAllowed('image/png', 'image/*')).toBe(true);
  });
});
