import type { BenchRecord } from '@ballast/bench-kit';

/**
 * A Markdown table of flat records; a figure with `<name>_min`/`<name>_max` shows as one cell
 * "median (min–max)", so a table of repeated runs stays narrow enough to read.
 */
export function markdownTable(records: readonly BenchRecord[]): string {
  if (records.length === 0) return '_(no results)_';
  const keys = [...new Set(records.flatMap((r) => Object.keys(r)))];
  const spreadOf = new Set(
    keys.filter((k) => keys.includes(`${k}_min`) && keys.includes(`${k}_max`)).flatMap((k) => [`${k}_min`, `${k}_max`]),
  );
  const columns = keys.filter((k) => !spreadOf.has(k));
  const text = (v: unknown) => (v === undefined || v === null ? '' : String(v).replaceAll('|', '\\|'));
  const cell = (r: BenchRecord, k: string) => {
    const min = r[`${k}_min`];
    const max = r[`${k}_max`];
    const spread = min !== undefined && min !== null && max !== undefined && max !== null && min !== max;
    return spread ? `${text(r[k])} (${text(min)}–${text(max)})` : text(r[k]);
  };
  return [
    `| ${columns.join(' | ')} |`,
    `| ${columns.map(() => '---').join(' | ')} |`,
    ...records.map((r) => `| ${columns.map((k) => cell(r, k)).join(' | ')} |`),
  ].join('\n');
}
