import type { Endpoint, Random } from '@ballast/core';
import { firstAllowed, isExcluded } from '../exclude.js';

const NEVER = (): boolean => false;

/**
 * Power of two choices: two distinct random indices, the lower `cost` wins (ties go to the first).
 * Excluded endpoints lose to any allowed one; if both draws are excluded, the next allowed
 * endpoint after the first draw is taken. `benched` endpoints (slow ones, see SlowBench) lose to
 * any allowed endpoint that is not benched, drawn or not; they are chosen only when every allowed
 * endpoint is benched.
 */
export function twoChoices(
  endpoints: readonly Endpoint[],
  random: Random,
  exclude: ReadonlySet<string>,
  cost: (index: number) => number,
  benched: (index: number) => boolean = NEVER,
): number {
  const n = endpoints.length;
  if (n === 1) return 0;
  const a = Math.floor(random() * n);
  let b = Math.floor(random() * (n - 1));
  if (b >= a) b++;
  const aRank = rank(endpoints, a, exclude, benched);
  const bRank = rank(endpoints, b, exclude, benched);
  if (aRank === 0 && bRank === 0) return cost(b) < cost(a) ? b : a;
  if (aRank === 0) return a;
  if (bRank === 0) return b;
  // Neither draw is a plain choice: the next allowed endpoint that is not benched, if any.
  for (let step = 1; step < n; step++) {
    const index = (a + step) % n;
    if (rank(endpoints, index, exclude, benched) === 0) return index;
  }
  if (aRank === 1 && bRank === 1) return cost(b) < cost(a) ? b : a;
  if (aRank === 1) return a;
  if (bRank === 1) return b;
  return firstAllowed(endpoints, a, exclude);
}

/** 0: allowed; 1: allowed but benched; 2: excluded. */
function rank(
  endpoints: readonly Endpoint[],
  index: number,
  exclude: ReadonlySet<string>,
  benched: (index: number) => boolean,
): number {
  if (isExcluded(endpoints[index]!, exclude)) return 2;
  return benched(index) ? 1 : 0;
}
