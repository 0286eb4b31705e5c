import { z } from 'zod';
import { consecutiveFailures } from './consecutive-failures.js';
import { samplingFailures } from './sampling-failures.js';
import { sreThrottle } from './sre-throttle.js';

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
