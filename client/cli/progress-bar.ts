import type { UploadProgress } from '../types.ts';

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

/** 1536 → "1.5 KiB". */
export function formatBytes(n: number): string {
  let v = n;
  let u = 0;
  while (v >= 1024 && u < UNITS.length - 1) {
    v /= 1024;
    u++;
  }
  return `${u === 0 ? v : v.toFixed(1)} ${UNITS[u]}`;
}

/** Seconds → "1h02m", "3m05s", "42s"; "--" when unknown. */
export function formatEta(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '--';
  const s = Math.round(seconds);
  if (s >= 3600) return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
  if (s >= 60) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${s}s`;
}

/** Where and how {@link ProgressBar} draws. */
export interface BarOptions {
  write: (s: string) => void;
  /** Redraw one line in place; otherwise print a line at most every `lineIntervalMs`. */
  tty: boolean;
  now?: () => number;
  width?: number;
  lineIntervalMs?: number;
}

/**
 * The CLI's stderr progress bar: bytes, rate and ETA. The rate counts only bytes sent by this run
 * (`resumedBytes` were found in COS), so a resume does not report an absurd speed.
 */
export class ProgressBar {
  private readonly opts: Required<BarOptions>;
  private readonly startedAt: number;
  private lastLineAt = Number.NEGATIVE_INFINITY;
  private last: UploadProgress | null = null;

  constructor(opts: BarOptions) {
    this.opts = { now: Date.now, width: 30, lineIntervalMs: 1000, ...opts };
    this.startedAt = this.opts.now();
  }

  /** Draws the new state (throttled to one line per interval when not on a TTY). */
  update(p: UploadProgress): void {
    this.last = p;
    const now = this.opts.now();
    const final = p.bytesSent >= p.totalBytes;
    if (this.opts.tty) this.opts.write(`\r${this.render(p)}\x1b[K`);
    else if (final || now - this.lastLineAt >= this.opts.lineIntervalMs) {
      this.lastLineAt = now;
      this.opts.write(`${this.render(p)}\n`);
    }
  }

  /** Ends the line so later output starts clean. */
  finish(): void {
    if (this.opts.tty && this.last) this.opts.write('\n');
  }

  /** One line: bar, percent, bytes, rate, ETA, parts. */
  render(p: UploadProgress): string {
    const fraction = p.totalBytes > 0 ? p.bytesSent / p.totalBytes : 1;
    const filled = Math.round(fraction * this.opts.width);
    const bar = '#'.repeat(filled) + '.'.repeat(this.opts.width - filled);
    const elapsed = (this.opts.now() - this.startedAt) / 1000;
    const sentNow = p.bytesSent - p.resumedBytes;
    const rate = elapsed > 0 ? sentNow / elapsed : 0;
    const eta = rate > 0 ? (p.totalBytes - p.bytesSent) / rate : Number.NaN;
    return (
      `[${bar}] ${(fraction * 100).toFixed(1).padStart(5)}% ` +
      `${formatBytes(p.bytesSent)} / ${formatBytes(p.totalBytes)}  ` +
      `${formatBytes(rate)}/s  ETA ${p.bytesSent >= p.totalBytes ? '0s' : formatEta(eta)}  ` +
      `parts ${p.partsDone}/${p.partCount}`
    );
  }
}
