import { ManualClock } from '@ballast/core';
import { describe, expect, it } from 'vitest';
import { InvalidRecoveryOptionError } from '../errors.js';
import { RetryBudget } from './retry-budget.js';

describe('RetryBudget', () => {
  it('allows ratio × first attempts once traffic is above the floor', () => {
    const clock = new ManualClock();
    const budget = new RetryBudget({ ratio: 0.1, minPerSecond: 1, windowMs: 10_000, clock });
    for (let i = 0; i < 1_000; i++) budget.recordFirstAttempt();
    let granted = 0;
    while (budget.tryRetry()) granted++;
    expect(granted).toBe(100);
    expect(budget.stats()).toMatchObject({ firstAttempts: 1_000, retries: 100, available: 0, refused: 1 });
  });

  it('keeps a floor of minPerSecond × window for a quiet client', () => {
    const clock = new ManualClock();
    const budget = new RetryBudget({ ratio: 0.1, minPerSecond: 2, windowMs: 5_000, clock });
    budget.recordFirstAttempt();
    let granted = 0;
    while (budget.tryRetry()) granted++;
    expect(granted).toBe(10);
  });

  it('forgets first attempts and retries that slid out of the window', () => {
    const clock = new ManualClock();
    const budget = new RetryBudget({ ratio: 0.5, minPerSecond: 0, windowMs: 1_000, buckets: 10, clock });
    for (let i = 0; i < 20; i++) budget.recordFirstAttempt();
    expect(budget.available()).toBe(10);
    clock.advance(500);
    for (let i = 0; i < 10; i++) expect(budget.tryRetry()).toBe(true);
    expect(budget.tryRetry()).toBe(false);
    clock.advance(500); // the 20 first attempts are gone; the 10 retries (at 500 ms) remain
    for (let i = 0; i < 20; i++) budget.recordFirstAttempt();
    expect(budget.available()).toBe(0);
    clock.advance(500); // now the retries are gone too
    expect(budget.available()).toBe(10);
    clock.advance(5_000);
    expect(budget.stats()).toMatchObject({ firstAttempts: 0, retries: 0, available: 0 });
  });

  it('rejects invalid options with a typed error naming the field', () => {
    expect(() => new RetryBudget({ ratio: -1 })).toThrow(InvalidRecoveryOptionError);
    expect(() => new RetryBudget({ windowMs: 5 })).toThrow(/retryBudget\.windowMs/);
  });
});
