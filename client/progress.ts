import type { UploadPhase, UploadProgress } from './types.ts';

/**
 * Counts finished parts and knows the phase (uploading, or waiting while COS assembles). A
 * listener that throws must not break the upload, so its errors are swallowed — progress is
 * advisory.
 */
export class ProgressTracker {
  private phaseValue: UploadPhase = 'uploading';
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

  /**
   * Every part counts as stored (resumed), without knowing which: a resumed upload found
   * `completing` has nothing to send. {@link plan} starts the count over if parts must be sent.
   */
  allStored(): void {
    this.partsDone = this.partCount;
    this.bytesSent = this.totalBytes;
    this.resumedBytes = this.totalBytes;
  }

  /** The current phase. */
  get phase(): UploadPhase {
    return this.phaseValue;
  }

  /** Enters a phase; the listener hears of each change (once, not on every poll). */
  setPhase(phase: UploadPhase): void {
    if (phase === this.phaseValue) return;
    this.phaseValue = phase;
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
      phase: this.phaseValue,
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
