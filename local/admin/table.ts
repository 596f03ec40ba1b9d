/** A column: its heading and how a row shows in it. */
export type Column<T> = [string, (row: T) => string];

/** Rows as aligned text columns; line breaks and tabs inside a value become spaces. */
export function table<T>(rows: T[], cols: Column<T>[]): string {
  const cells = [cols.map(([h]) => h), ...rows.map((r) => cols.map(([, f]) => f(r).replace(/[\r\n\t]/g, ' ')))];
  const widths = cols.map((_, i) => Math.max(...cells.map((c) => c[i]!.length)));
  return cells.map((c) => c.map((v, i) => (i === c.length - 1 ? v : v.padEnd(widths[i]!))).join('  ')).join('\n');
}
