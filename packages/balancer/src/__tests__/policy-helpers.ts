import type { Endpoint } from '@ballast/core';

/** Endpoints "e0".."e{n-1}" on made-up ports, with optional weights. */
export function endpoints(n: number, weights?: readonly number[]): Endpoint[] {
  return Array.from({ length: n }, (_, i) => ({
    id: `e${i}`,
    address: `127.0.0.1:${10_000 + i}`,
    ...(weights && { weight: weights[i]! }),
  }));
}

/** Pearson's chi-square of observed counts against a uniform expectation. */
export function chiSquareUniform(counts: readonly number[]): number {
  const total = counts.reduce((a, b) => a + b, 0);
  const expected = total / counts.length;
  return counts.reduce((sum, c) => sum + (c - expected) ** 2 / expected, 0);
}

/** 99.9th percentile of chi-square with 2 and 9 degrees of freedom. */
export const CHI2_999 = { df2: 13.816, df9: 27.877 } as const;
