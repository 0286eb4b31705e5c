import { describe, expect, it } from 'vitest';
import { LatencyWindow } from './latency-window.js';

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
