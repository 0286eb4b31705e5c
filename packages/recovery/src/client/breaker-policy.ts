import { z } from 'zod';
import { SlidingCounter } from './sliding-counter.js';

export const breakerPolicySchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('consecutive'),
    /** Consecutive failures that open the breaker. */
    failures: z.number().int().min(1).default(5),
  }),
  z.object({
    kind: z.literal('sampling'),
    windowMs: z.number().int().min(100).default(10_000),
    /** Calls needed in the window before the rate is trusted. */
    minVolume: z.number().int().min(1).default(20),
    /** Failure share in [0, 1] at or above which the breaker opens. */
    failureRate: z.number().min(0).max(1).default(0.5),
  }),
  z.object({
    kind: z.literal('sre'),
    /** Google SRE book's K: 2 = reject once fewer than half the requests are accepted. */
    k: z.number().min(1).default(2),
    windowMs: z.number().int().min(100).default(120_000),
  }),
]);
export type BreakerPolicyOptions = z.input<typeof breakerPolicySchema>;

/** What opens a breaker: a tiny strategy fed with outcomes, apart from the state machine. */
export interface BreakerPolicy {
  /** Records one outcome; returns the reason to open, or undefined. */
  record(success: boolean, now: number): string | undefined;
  /** Probability of rejecting a call locally while closed (only the SRE throttle uses it). */
  rejectProbability(now: number): number;
  reset(now: number): void;
}

export function createBreakerPolicy(options: z.output<typeof breakerPolicySchema>): BreakerPolicy {
  switch (options.kind) {
    case 'consecutive':
      return consecutiveFailures(options.failures);
    case 'sampling':
      return samplingFailures(options.windowMs, options.minVolume, options.failureRate);
    case 'sre':
      return sreThrottle(options.k, options.windowMs);
  }
}

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

export function sreRejectProbability(requests: number, accepts: number, k: number): number {
  return Math.max(0, (requests - k * accepts) / (requests + 1));
}
