import { seededRandom } from '@ballast/core';
import { describe, expect, it } from 'vitest';
import { exponentialBackoff } from './backoff.js';
import { InvalidRecoveryOptionError } from './errors.js';

describe('exponentialBackoff', () => {
  it('doubles from the base and stops at the cap without jitter', () => {
    const backoff = exponentialBackoff({ baseMs: 10, maxMs: 100, jitter: 'none' });
    expect([0, 1, 2, 3, 4, 5].map((n) => backoff.delayMs(n))).toEqual([10, 20, 40, 80, 100, 100]);
  });

  it('full jitter stays in [0, ceiling] and is exact for a given seed', () => {
    const a = exponentialBackoff({ baseMs: 100, maxMs: 1_000, random: seededRandom(7) });
    const b = exponentialBackoff({ baseMs: 100, maxMs: 1_000, random: seededRandom(7) });
    const delays = Array.from({ length: 8 }, (_, n) => a.delayMs(n));
    expect(Array.from({ length: 8 }, (_, n) => b.delayMs(n))).toEqual(delays);
    delays.forEach((d, n) => {
      expect(d).toBeGreaterThanOrEqual(0);
      expect(d).toBeLessThanOrEqual(Math.min(1_000, 100 * 2 ** n));
    });
    expect(new Set(delays).size).toBeGreaterThan(1);
  });

  it('equal jitter keeps at least half the ceiling', () => {
    const backoff = exponentialBackoff({ baseMs: 100, jitter: 'equal', random: () => 0 });
    expect(backoff.delayMs(2)).toBe(200);
    const top = exponentialBackoff({ baseMs: 100, jitter: 'equal', random: () => 0.999999 });
    expect(top.delayMs(2)).toBeCloseTo(400, 2);
  });

  it('rejects a bad option naming the field and the allowed values', () => {
    expect(() => exponentialBackoff({ jitter: 'some' as never })).toThrow(InvalidRecoveryOptionError);
    expect(() => exponentialBackoff({ factor: 0.5 })).toThrow(/backoff\.factor.*a number >= 1 \(default 2\)/);
    expect(() => exponentialBackoff({ jitter: 'some' as never })).toThrow(/one of "full", "equal", "none"/);
  });

  it('refuses an unknown key, listing the keys the schema takes', () => {
    expect(() => exponentialBackoff({ base: 10 } as never)).toThrow(
      /recovery option "backoff\.base" is not an option \(unknown key "base"\): allowed values are the keys baseMs, maxMs, factor, jitter, random$/,
    );
  });
});
