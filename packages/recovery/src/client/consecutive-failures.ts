import type { BreakerPolicy } from './breaker-policy.js';

/** Opens after `threshold` failures in a row; any success starts the count again. */
export function consecutiveFailures(threshold: number): BreakerPolicy {
  let failures = 0;
  return {
    record(success) {
      failures = success ? 0 : failures + 1;
      return failures >= threshold ? `${failures} consecutive failures` : undefined;
    },
    rejectProbability: () => 0,
    reset() {
      failures = 0;
    },
  };
}
