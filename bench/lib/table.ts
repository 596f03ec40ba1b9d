/** A result table; rendered as a Markdown pipe table so a run's output pastes into BENCHMARKS.md. */
export interface Table {
  title: string;
  columns: string[];
  rows: (string | number)[][];
  /** Printed under the table: how to read it, what was measured, caveats. */
  notes?: string[];
}

const NUMERIC = /^(-|n\/a|[-+~<>≈]?\s*[\d.,]+\s*(x|%|ms|s|MB\/s|GiB\/s|KB|KiB|MiB)?)$/;

export function renderTable(t: Table): string {
  const cells = t.rows.map((r) => r.map((c) => String(c)));
  const widths = t.columns.map((h, i) => Math.max(h.length, ...cells.map((r) => (r[i] ?? '').length)));
  // Right-align a column when every body cell is a number, as figures compare best that way.
  const right = t.columns.map((_, i) => cells.length > 0 && cells.every((r) => NUMERIC.test(r[i] ?? '')));
  const pad = (s: string, i: number) => (right[i] ? s.padStart(widths[i]!) : s.padEnd(widths[i]!));
  const line = (r: string[]) => `| ${r.map((c, i) => pad(c, i)).join(' | ')} |`;
  const rule = `|${widths.map((w, i) => (right[i] ? `${'-'.repeat(w + 1)}:` : '-'.repeat(w + 2))).join('|')}|`;
  const out = [`### ${t.title}`, '', line(t.columns), rule, ...cells.map(line)];
  if (t.notes?.length) out.push('', ...t.notes.map((n) => `- ${n}`));
  return `${out.join('\n')}\n`;
}
