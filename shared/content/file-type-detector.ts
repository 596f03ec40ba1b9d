import type { ContentDetector } from '../ports.ts';

/**
 * file-type's own advice for how much of a file it needs (its `reasonableDetectionSizeInBytes`);
 * a test holds this to the library's value.
 */
export const FILE_TYPE_SAMPLE_BYTES = 4100;

type FileTypeCore = typeof import('file-type/core');

/**
 * The content detector over `file-type` (signatures of ~190 formats, maintained upstream). Its
 * I/O-free `file-type/core` entry is imported on first use, so a function that never verifies
 * content never parses it, and the chunk stays out of every bundle that does not run completion.
 */
export function fileTypeDetector(): ContentDetector {
  let lib: Promise<FileTypeCore> | undefined;
  const load = () => (lib ??= import('file-type/core'));
  return {
    sampleBytes: FILE_TYPE_SAMPLE_BYTES,
    async detect(bytes) {
      const { fileTypeFromBuffer } = await load();
      return (await fileTypeFromBuffer(bytes))?.mime ?? null;
    },
    async recognises(mediaType) {
      const { supportedMimeTypes } = await load();
      return (supportedMimeTypes as ReadonlySet<string>).has(mediaType);
    },
  };
}
