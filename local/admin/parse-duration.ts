import { UsageError } from './cli-errors.ts';

const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 };

/** `90`, `90s`, `15m`, `2h`, `7d`, `1w` → seconds. */
export function parseDuration(text: string): number {
  const m = /^(\d+)([smhdw]?)$/.exec(text.trim());
  if (!m) throw new UsageError(`--older-than: '${text}' is not a duration like 90s, 15m, 2h or 7d`);
  return Number(m[1]) * (UNITS[m[2] || 's'] ?? 1);
}
