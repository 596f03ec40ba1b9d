import type { ContentDetector } from '../ports.ts';
import { withCos } from './with-cos.ts';

/** The detector loader: its module (and file-type, lazily under it) is only in these entries' bundles. */
async function contentDetector(): Promise<ContentDetector> {
  const { fileTypeDetector } = await import('../content/file-type-detector.ts');
  return fileTypeDetector();
}

/**
 * An entry that runs the completion worker — in AWS only the stream's (functions/complete-worker.ts):
 * the store, COS, and the content detector VERIFY_CONTENT_TYPE needs. The complete route does not
 * merge there (the stream starts the worker), so its bundle does without; the local stack, whose
 * SQLite store runs workers in-process, provides a detector of its own.
 */
export const withCompletion = { ...withCos, detector: contentDetector };
