import { seededRandom } from '@ballast/core';
import { describe, expect, it } from 'vitest';
import { LatencyWindow, selectRank } from './latency-window.js';

describe('LatencyWindow', () => {
  it('gives nearest-rank percentiles over the last `size` samples', () => {
    const window = new LatencyWindow(100);
    expect(window.percentile(0.95)).toBeUndefined();
    for (let i = 1; i <= 100; i++) window.add(i);
    expect(window.percentile(0.95)).toBe(95);
    expect(window.percentile(0.5)).toBe(50);
    for (let i = 0; i < 100; i++) window.add(1_000); // overwrites every old sample
    expect(window.percentile(0.05)).toBe(1_000);
    window.add(Number.NaN);
    expect(window.count).toBe(100);
  });
});

describe('LatencyWindow against a sort', () => {
  /** Nearest rank over a sorted copy: the definition the selection must agree with. */
  function bySort(values: readonly number[], q: number): number {
    const sorted = [...values].sort((a, b) => a - b);
    return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
  }

  it('agrees on random windows, partly full and wrapped, with ties and heavy tails', () => {
    const random = seededRandom(18);
    for (let trial = 0; trial < 200; trial++) {
      const size = 10 + Math.floor(random() * 300);
      const window = new LatencyWindow(size);
      const added = Math.floor(random() * size * 3) + 1;
      // Some trials draw from a few values only (many ties), others from a long-tailed spread.
      const ties = random() < 0.3;
      const all: number[] = [];
      for (let i = 0; i < added; i++) {
        const value = ties ? Math.floor(random() * 4) : -Math.log(1 - random()) * 10 + (random() < 0.01 ? 500 : 0);
        window.add(value);
        all.push(value);
      }
      const kept = all.slice(-size);
      for (const q of [0, 0.01, 0.5, 0.9, 0.95, 0.99, 0.999, 1]) {
        expect(window.percentile(q), `trial ${trial}, q ${q}`).toBe(bySort(kept, q));
      }
    }
  });

  it('selects any rank of a Float64Array as a sort would, reordering only the first n', () => {
    const random = seededRandom(7);
    const values = Float64Array.from({ length: 257 }, () => Math.round(random() * 50));
    const sorted = [...values.subarray(0, 200)].sort((a, b) => a - b);
    for (let k = 0; k < 200; k += 13) {
      const copy = values.slice();
      expect(selectRank(copy, 200, k)).toBe(sorted[k]);
      expect([...copy.subarray(200)]).toEqual([...values.subarray(200)]);
    }
  });
});
