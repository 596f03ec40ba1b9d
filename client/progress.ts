import type { UploadProgress } from './types.ts';

/**
 * Counts finished parts. A listener that throws must not break the upload, so its errors are
 * swallowed — progress is advisory.
 */
export class ProgressTracker {
  private bytesSent = 0;
  private resumedBytes = 0;
  private partsDone = 0;
  private totalBytes = 0;
  private partCount = 0;
  private readonly listener: ((e: UploadProgress) => void) | undefined;

  constructor(listener?: (e: UploadProgress) => void) {
    this.listener = listener;
  }

  /** Sets the plan; called once the session is known. */
  plan(totalBytes: number, partCount: number): void {
    this.totalBytes = totalBytes;
    this.partCount = partCount;
    this.bytesSent = 0;
    this.resumedBytes = 0;
    this.partsDone = 0;
  }

  /** A part now stored in COS; `resumed` when it was found there rather than sent. */
  partDone(size: number, resumed: boolean): void {
    this.partsDone++;
    this.bytesSent += size;
    if (resumed) this.resumedBytes += size;
    this.emit();
  }

  /** A part that must be sent again (complete found it wrong). */
  partUndone(size: number): void {
    this.partsDone--;
    this.bytesSent -= size;
  }

  /** The current counters. */
  snapshot(): UploadProgress {
    return {
      bytesSent: this.bytesSent,
      totalBytes: this.totalBytes,
      partsDone: this.partsDone,
      partCount: this.partCount,
      resumedBytes: this.resumedBytes,
    };
  }

  /** Calls the listener with the current counters. */
  emit(): void {
    try {
      this.listener?.(this.snapshot());
    } catch {
      // advisory only
    }
  }
}
