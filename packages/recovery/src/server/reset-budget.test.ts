import { describe, expect, it } from 'vitest';
import { ResetBudget } from './reset-budget.js';

describe('ResetBudget', () => {
  it('allows a burst, then refills at perSecond, never above the burst', () => {
    const budget = new ResetBudget({ burst: 3, perSecond: 2 }, 0);
    expect([budget.take(0), budget.take(0), budget.take(0), budget.take(0)]).toEqual([true, true, true, false]);
    expect(budget.take(400)).toBe(false);
    expect(budget.take(500)).toBe(true);
    // A long quiet spell refills only up to the burst.
    expect([budget.take(60_000), budget.take(60_000), budget.take(60_000), budget.take(60_000)]).toEqual([
      true,
      true,
      true,
      false,
    ]);
  });
});
