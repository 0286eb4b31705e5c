import type { Endpoint } from '@ballast/core';

/**
 * Weights for consistent hashing, normalised to sum 1. Endpoints with weight 0 get 0 (no share);
 * if every weight is 0 they count as equal, as a policy must still route somewhere.
 */
export function normalizedWeights(endpoints: readonly Endpoint[]): Float64Array {
  const raw = endpoints.map((e) => e.weight ?? 1);
  const total = raw.reduce((a, b) => a + b, 0);
  if (total === 0) return new Float64Array(endpoints.length).fill(1 / endpoints.length);
  return Float64Array.from(raw, (w) => w / total);
}
