import type { Endpoint, Random } from '@ballast/core';
import { firstAllowed, isExcluded } from '../exclude.js';

/**
 * Power of two choices: two distinct random indices, the lower `cost` wins (ties go to the first).
 * Excluded endpoints lose to any allowed one; if both draws are excluded, the next allowed
 * endpoint after the first draw is taken.
 */
export function twoChoices(
  endpoints: readonly Endpoint[],
  random: Random,
  exclude: ReadonlySet<string>,
  cost: (index: number) => number,
): number {
  const n = endpoints.length;
  if (n === 1) return 0;
  const a = Math.floor(random() * n);
  let b = Math.floor(random() * (n - 1));
  if (b >= a) b++;
  const aOut = isExcluded(endpoints[a]!, exclude);
  const bOut = isExcluded(endpoints[b]!, exclude);
  if (aOut && bOut) return firstAllowed(endpoints, a, exclude);
  if (aOut) return b;
  if (bOut) return a;
  return cost(b) < cost(a) ? b : a;
}
