import type { Endpoint } from '@ballast/core';
import { describe, expect, it } from 'vitest';
import { eligibleWithPanic } from './eligible-with-panic.js';

const endpoints: Endpoint[] = ['a', 'b', 'c', 'd'].map((id) => ({ id, address: `${id}:1` }));
const healthyOnly =
  (...ids: string[]) =>
  (e: Endpoint) =>
    ids.includes(e.id);

describe('eligibleWithPanic', () => {
  it('keeps only healthy endpoints while the healthy share is at or above the threshold', () => {
    expect(eligibleWithPanic(endpoints, healthyOnly('a', 'b'), 0.5)).toEqual({
      eligible: [endpoints[0], endpoints[1]],
      panic: false,
    });
  });

  it('returns every endpoint below the threshold', () => {
    expect(eligibleWithPanic(endpoints, healthyOnly('a'), 0.5)).toEqual({ eligible: endpoints, panic: true });
    expect(eligibleWithPanic(endpoints, healthyOnly(), 0.5).panic).toBe(true);
  });

  it('threshold 0 turns panic off, even with none healthy', () => {
    expect(eligibleWithPanic(endpoints, healthyOnly(), 0)).toEqual({ eligible: [], panic: false });
    expect(eligibleWithPanic([], healthyOnly(), 0.5)).toEqual({ eligible: [], panic: false });
  });
});
