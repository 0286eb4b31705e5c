import { describe, expect, it } from 'vitest';
import { createPolicy } from '../create-policy.js';
import { pickRequest } from '../picker.js';
import { endpoints } from '../__tests__/policy-helpers.js';
import { SMOOTH_WRR_MAX_ENDPOINTS } from './weighted-round-robin.js';

const run = (weights: readonly number[], count: number, exclude?: Set<string>) => {
  const picker = createPolicy({ policy: 'weighted-round-robin' }).picker(endpoints(weights.length, weights));
  return Array.from({ length: count }, () => picker.pick(pickRequest(exclude && { exclude })).endpoint.id);
};

describe('weighted-round-robin (smooth, as nginx)', () => {
  it('weights 5,1,1 give the nginx sequence a a b a c a a, cycle after cycle', () => {
    const nginx = ['e0', 'e0', 'e1', 'e0', 'e2', 'e0', 'e0'];
    expect(run([5, 1, 1], 21)).toEqual([...nginx, ...nginx, ...nginx]);
  });

  it('equal weights are plain rotation; weight 0 gets nothing unless all are 0', () => {
    expect(run([1, 1, 1], 6)).toEqual(['e0', 'e1', 'e2', 'e0', 'e1', 'e2']);
    expect(run([2, 0, 1], 30)).not.toContain('e1');
    expect(new Set(run([0, 0], 4))).toEqual(new Set(['e0', 'e1']));
  });

  it('skips an excluded endpoint, as nginx skips peers that already failed', () => {
    expect(run([5, 1, 1], 14, new Set(['e0']))).not.toContain('e0');
  });

  it('large sets keep exact shares per cycle with no bursts to the heaviest', () => {
    const n = SMOOTH_WRR_MAX_ENDPOINTS * 4;
    const weights = Array.from({ length: n }, (_, i) => (i === 0 ? 10 : 1));
    const total = weights.reduce((a, b) => a + b, 0);
    const sequence = run(weights, total * 3);
    for (let cycle = 0; cycle < 3; cycle++) {
      const slice = sequence.slice(cycle * total, (cycle + 1) * total);
      expect(slice.filter((id) => id === 'e0')).toHaveLength(10);
      expect(slice.filter((id) => id === 'e7')).toHaveLength(1);
    }
    let longestRun = 0;
    let current = 0;
    for (const id of sequence) {
      current = id === 'e0' ? current + 1 : 0;
      longestRun = Math.max(longestRun, current);
    }
    expect(longestRun).toBe(1);
  });
});
