import type { UploadManyProgress } from './upload-many-types.ts';

/**
 * Sums the files' progress into one {@link UploadManyProgress}. Each file reports its own counters
 * (bytes stored, bytes found on resume); the sum moves by their differences, so a part that must be
 * sent again moves it back. A listener that throws is ignored: progress is advisory.
 */
export class ManyProgress {
  private readonly sent: number[];
  private readonly resumed: number[];
  private readonly state = { completed: 0, skipped: 0, failed: 0 };
  private bytesSent = 0;
  private skippedBytes = 0;
  private readonly totalBytes: number;
  private readonly listener: ((p: UploadManyProgress) => void) | undefined;

  constructor(sizes: readonly number[], listener?: (p: UploadManyProgress) => void) {
    this.sent = sizes.map(() => 0);
    this.resumed = sizes.map(() => 0);
    this.totalBytes = sizes.reduce((a, b) => a + b, 0);
    this.listener = listener;
  }

  /** File `index` now has `bytesSent` stored, `resumedBytes` of them found rather than sent. */
  file(index: number, bytesSent: number, resumedBytes: number): void {
    this.bytesSent += bytesSent - this.sent[index]!;
    this.skippedBytes += resumedBytes - this.resumed[index]!;
    this.sent[index] = bytesSent;
    this.resumed[index] = resumedBytes;
    this.emit();
  }

  /** File `index` finished; a completed or skipped file counts whole (its bytes are in COS). */
  fileDone(index: number, state: 'completed' | 'skipped' | 'failed', size: number): void {
    this.state[state]++;
    if (state === 'skipped') {
      this.file(index, size, size);
      return;
    }
    if (state === 'completed' && this.sent[index] !== size) {
      this.file(index, size, this.resumed[index]! + size - this.sent[index]!);
      return;
    }
    this.emit();
  }

  snapshot(): UploadManyProgress {
    const { completed, skipped, failed } = this.state;
    return {
      filesTotal: this.sent.length,
      filesDone: completed + skipped + failed,
      filesCompleted: completed,
      filesSkipped: skipped,
      filesFailed: failed,
      totalBytes: this.totalBytes,
      bytesSent: this.bytesSent,
      skippedBytes: this.skippedBytes,
    };
  }

  private emit(): void {
    try {
      this.listener?.(this.snapshot());
    } catch {
      // advisory only
    }
  }
}
