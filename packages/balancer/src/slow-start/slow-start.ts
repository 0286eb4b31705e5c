import { z } from 'zod';

/** Envoy's slow_start_config: how a new or returning endpoint ramps up to its full share. */
export interface SlowStartOptions {
  /** How long the ramp lasts, ms (default 10 000). */
  readonly windowMs: number;
  /** Shape of the ramp: 1 is linear, larger ramps faster early (default 1). */
  readonly aggression: number;
  /** The share an endpoint starts with, percent of its full share (default 10). */
  readonly minWeightPercent: number;
}

export type SlowStartOptionsInput = Partial<SlowStartOptions>;

export const slowStartSchema = z
  .object({
    windowMs: z.number().int().min(1).max(3_600_000).default(10_000),
    aggression: z.number().positive().max(100).default(1),
    minWeightPercent: z.number().min(0).max(100).default(10),
  })
  .strict();

/**
 * The fraction of its full share an endpoint gets `elapsedMs` after it became eligible, as Envoy
 * computes it: max(minWeightPercent ÷ 100, (max(elapsed, 1) ÷ window)^(1 ÷ aggression)), and 1
 * from the end of the window on. Never above 1: a ramping endpoint never gets more than its
 * healthy share.
 */
export function slowStartFactor(elapsedMs: number, options: SlowStartOptions): number {
  if (elapsedMs >= options.windowMs) return 1;
  const time = Math.max(elapsedMs, 1) / options.windowMs;
  return Math.min(1, Math.max(options.minWeightPercent / 100, time ** (1 / options.aggression)));
}
