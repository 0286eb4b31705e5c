import type { BreakerPolicy } from './breaker-policy.js';
import { SlidingCounter } from './sliding-counter.js';

/** Client-side adaptive throttling, Google SRE book ch. 21: p = max(0, (requests − K·accepts) / (requests + 1)). */
export function sreThrottle(k: number, windowMs: number): BreakerPolicy {
  const requests = new SlidingCounter(windowMs, 20);
  const accepts = new SlidingCounter(windowMs, 20);
  return {
    record(success, now) {
      requests.add(now);
      if (success) accepts.add(now);
      return undefined;
    },
    rejectProbability(now) {
      return sreRejectProbability(requests.total(now), accepts.total(now), k);
    },
    reset(now) {
      requests.clear(now);
      accepts.clear(now);
    },
  };
}

/** The SRE throttle's formula on its own, for tests and dashboards. */
export function sreRejectProbability(requests: number, accepts: number, k: number): number {
  return Math.max(0, (requests - k * accepts) / (requests + 1));
}
