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
  /** The widest the `[###...]` bar gets (default 30); it shrinks, then goes, on narrow terminals. */
  width?: number;
  /**
   * The terminal's width, read at every draw so a resize is followed (default 80). A line never
   * takes the last column: some terminals wrap as soon as it is written, and a wrapped line
   * cannot be redrawn in place.
   */
  columns?: () => number | undefined;
  lineIntervalMs?: number;
  /** What `partsDone/partCount` counts, as the line names it (default `parts`; a set: `files`). */
  countLabel?: string;
}

/** Below this the bar says too little to be worth its room. */
const MIN_BAR = 10;

/**
 * The CLI's stderr progress bar: bytes, rate and ETA. The rate counts only bytes sent by this run
 * (`resumedBytes` were found in COS), so a resume does not report an absurd speed. While COS
 * assembles the object (complete answered 202) the ETA reads "assembling…".
 */
export class ProgressBar {
  private readonly opts: Required<Omit<BarOptions, 'columns'>>;
  private readonly columns: () => number | undefined;
  private readonly startedAt: number;
  private lastLineAt = Number.NEGATIVE_INFINITY;
  private last: UploadProgress | null = null;
  private lastAt = 0;
  /** The bar's width for the terminal width it was last fitted to. */
  private fitted: { room: number; width: number } | null = null;
  /** A TTY line is drawn and not yet ended. */
  private lineOpen = false;

  constructor(opts: BarOptions) {
    this.opts = { now: Date.now, width: 30, lineIntervalMs: 1000, countLabel: 'parts', ...opts };
    this.columns = opts.columns ?? (() => undefined);
    this.startedAt = this.opts.now();
  }

  /** Draws the new state (throttled to one line per interval when not on a TTY). */
  update(p: UploadProgress): void {
    this.last = p;
    const now = this.opts.now();
    this.lastAt = now;
    // A phase change is news even within the interval (the bytes do not move while assembling).
    const final = p.bytesSent >= p.totalBytes || p.phase === 'assembling';
    this.draw(p, now, final);
  }

  /**
   * A line of news (a retry, a warning) above the bar: on a TTY the bar line is cleared, the
   * message printed, and the bar drawn again under it.
   */
  note(message: string): void {
    if (!this.opts.tty) {
      this.opts.write(`${message}\n`);
      return;
    }
    this.opts.write(`${this.lineOpen ? '\r\x1b[K' : ''}${message}\n`);
    this.lineOpen = false;
    if (this.last) {
      this.opts.write(`\r${this.render(this.last, this.lastAt)}\x1b[K`);
      this.lineOpen = true;
    }
  }

  /** Ends a line left open on the TTY (before an error is printed under it). */
  breakLine(): void {
    if (!this.lineOpen) return;
    this.opts.write('\n');
    this.lineOpen = false;
  }

  private draw(p: UploadProgress, at: number, final: boolean): void {
    if (this.opts.tty) {
      this.opts.write(`\r${this.render(p, at)}\x1b[K`);
      this.lineOpen = true;
    } else if (final || at - this.lastLineAt >= this.opts.lineIntervalMs) {
      this.lastLineAt = at;
      this.opts.write(`${this.render(p, at)}\n`);
    }
  }

  /**
   * After success: ends the line so later output starts clean. A line left at "assembling…" is
   * drawn once more as done, with the rate as it was when the bytes were all sent.
   */
  finish(): void {
    if (!this.last) return;
    if (this.last.phase === 'assembling') this.draw({ ...this.last, phase: 'uploading' }, this.lastAt, true);
    this.breakLine();
  }

  /**
   * One line: bar, percent, bytes, rate, ETA (or "assembling…"), parts; the rate as of `at`. It
   * fits the terminal less one column: the bar narrows first, then the parts count goes, then the
   * bar, and what is left is cut.
   */
  render(p: UploadProgress, at = this.opts.now()): string {
    const room = Math.max(20, this.columns() || 80) - 1;
    const fraction = p.totalBytes > 0 ? p.bytesSent / p.totalBytes : 1;
    const elapsed = (at - this.startedAt) / 1000;
    const sentNow = p.bytesSent - p.resumedBytes;
    const rate = elapsed > 0 ? sentNow / elapsed : 0;
    const eta = rate > 0 ? (p.totalBytes - p.bytesSent) / rate : Number.NaN;
    const tail =
      p.phase === 'assembling' ? 'assembling…' : `ETA ${p.bytesSent >= p.totalBytes ? '0s' : formatEta(eta)}`;
    const info =
      `${(fraction * 100).toFixed(1).padStart(5)}% ` +
      `${formatBytes(p.bytesSent)} / ${formatBytes(p.totalBytes)}  ` +
      `${formatBytes(rate)}/s  ${tail}`;
    const parts = `  ${this.opts.countLabel} ${p.partsDone}/${p.partCount}`;
    const bar = (width: number) => {
      const filled = Math.round(fraction * width);
      return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] `;
    };
    // The bar only ever narrows while the terminal keeps its width, so it does not twitch as the
    // numbers after it grow and shrink.
    if (this.fitted?.room !== room) this.fitted = { room, width: this.opts.width };
    for (const text of [info + parts, info]) {
      const width = Math.min(this.fitted.width, room - text.length - 3);
      if (width >= Math.min(MIN_BAR, this.opts.width)) {
        this.fitted.width = width;
        return bar(width) + text;
      }
    }
    return (info.length + parts.length <= room ? info + parts : info).slice(0, room);
  }
}
