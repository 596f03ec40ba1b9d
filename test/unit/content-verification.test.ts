import * as fileType from 'file-type/core';
import { describe, expect, it } from 'vitest';
import { FILE_TYPE_SAMPLE_BYTES, fileTypeDetector } from '../../shared/content/file-type-detector.ts';
import { contentVerdict, mediaTypeOf } from '../../shared/core/content-verification.ts';

describe('the content verdict (docs/API.md "Content verification")', () => {
  it('passes what the detector cannot judge, and the declared type itself', () => {
    expect(contentVerdict('text/csv', false, null)).toEqual({ ok: true });
    expect(contentVerdict('text/plain', false, 'image/png')).toEqual({ ok: true });
    expect(contentVerdict('Image/PNG; x=1', true, 'image/png')).toEqual({ ok: true });
  });

  it('fails a recognisable type whose bytes are something else, or nothing known', () => {
    expect(contentVerdict('image/png', true, 'application/x-msdownload')).toEqual({
      ok: false,
      declared: 'image/png',
      detected: 'application/x-msdownload',
    });
    expect(contentVerdict('image/png', true, null)).toEqual({ ok: false, declared: 'image/png', detected: null });
    expect(mediaTypeOf(' Text/CSV ;charset=utf-8')).toBe('text/csv');
  });

  it('takes a bare container for the formats that live in one, and nothing else', () => {
    const docx = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';
    expect(contentVerdict(docx, true, 'application/zip')).toEqual({ ok: true });
    expect(contentVerdict('application/epub+zip', true, 'application/zip')).toEqual({ ok: true });
    expect(contentVerdict('application/vnd.ms-outlook', true, 'application/x-cfb')).toEqual({ ok: true });
    expect(contentVerdict('image/png', true, 'application/zip')).toMatchObject({ ok: false });
    expect(contentVerdict(docx, true, 'application/x-msdownload')).toMatchObject({ ok: false });
    expect(contentVerdict(docx, true, null)).toMatchObject({ ok: false });
  });

  it('an XML document needs no <?xml prolog, but bytes that are something else still fail', () => {
    expect(contentVerdict('application/xml', true, null)).toEqual({ ok: true });
    expect(contentVerdict('application/xml', true, 'image/png')).toMatchObject({ ok: false });
  });
});

describe('the file-type detector', () => {
  it('samples what file-type advises, and knows its own formats only', async () => {
    // Exported by file-type's core but not in its typings.
    expect(FILE_TYPE_SAMPLE_BYTES).toBe(
      (fileType as unknown as { reasonableDetectionSizeInBytes: number }).reasonableDetectionSizeInBytes,
    );
    const d = fileTypeDetector();
    expect(await d.recognises('image/png')).toBe(true);
    expect(await d.recognises('video/mp4')).toBe(true);
    expect(await d.recognises('text/plain')).toBe(false);
    expect(await d.recognises('text/csv')).toBe(false);
    expect(await d.detect(Buffer.from('GIF89a\x01\x00\x01\x00', 'latin1'))).toBe('image/gif');
    expect(await d.detect(Buffer.from('just words'))).toBeNull();
  });
});
