import type { ContentDetector } from '../ports.ts';
import { withCos } from './with-cos.ts';

/** The detector loader: its module (and file-type, lazily under it) is only in these entries' bundles. */
async function contentDetector(): Promise<ContentDetector> {
  const { fileTypeDetector } = await import('../content/file-type-detector.ts');
  return fileTypeDetector();
}

/**
 * An entry that runs the completion worker (complete, the stream's worker): the store, COS, and the
 * content detector that VERIFY_CONTENT_TYPE needs.
 */
export const withCompletion = { ...withCos, detector: contentDetector };
