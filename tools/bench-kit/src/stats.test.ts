import { describe, expect, it } from 'vitest';
import { median, quantile, spread } from './stats.js';
import { formatTable } from './table.js';

describe('stats', () => {
  it('interpolates quantiles and reports spread', () => {
    expect(quantile([1, 2, 3, 4], 0.5)).toBe(2.5);
    expect(quantile([5], 0.99)).toBe(5);
    expect(median([])).toBeNaN();
    expect(spread('p99_ms', [3, 1, 2])).toEqual({ p99_ms: 2, p99_ms_min: 1, p99_ms_max: 3 });
  });

  it('formats records with a column per key', () => {
    const table = formatTable([
      { policy: 'rr', ns_per_pick: 12 },
      { policy: 'peak-ewma', ns_per_pick: 40, rebuild_ms: 3 },
    ]);
    expect(table.split('\n')).toEqual([
      'policy     ns_per_pick  rebuild_ms',
      '---------  -----------  ----------',
      'rr         12',
      'peak-ewma  40           3',
    ]);
  });
});
