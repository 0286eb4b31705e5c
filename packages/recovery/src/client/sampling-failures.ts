import type { BreakerPolicy } from './breaker-policy.js';
import { SlidingCounter } from './sliding-counter.js';

/** Opens when failures reach `failureRate` of at least `minVolume` calls within the last `windowMs`. */
export function samplingFailures(windowMs: number, minVolume: number, failureRate: number): BreakerPolicy {
  const calls = new SlidingCounter(windowMs, 10);
  const failures = new SlidingCounter(windowMs, 10);
  return {
    record(success, now) {
      calls.add(now);
      if (success) return undefined; // only a failure can trip it
      failures.add(now);
      const volume = calls.total(now);
      const rate = failures.total(now) / volume;
      if (volume >= minVolume && rate >= failureRate) {
        return `failure rate ${(rate * 100).toFixed(0)}% over ${volume} calls in ${windowMs} ms`;
      }
      return undefined;
    },
    rejectProbability: () => 0,
    reset(now) {
      calls.clear(now);
      failures.clear(now);
    },
  };
}
