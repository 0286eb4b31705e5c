import type { BenchRecord } from './scenario.js';

/** A plain-text table of flat records: one column per key, in first-seen order. */
export function formatTable(records: readonly BenchRecord[]): string {
  if (records.length === 0) return '(no results)';
  const columns = [...new Set(records.flatMap((r) => Object.keys(r)))];
  const cell = (value: unknown) => (value === undefined || value === null ? '' : String(value));
  const rows = [columns, ...records.map((r) => columns.map((c) => cell(r[c])))];
  const widths = columns.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  const line = (row: string[]) =>
    row
      .map((v, i) => v.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [line(rows[0]!), line(widths.map((w) => '-'.repeat(w))), ...rows.slice(1).map(line)].join('\n');
}
