import { systemClock } from '@ballast/core';
import { z } from 'zod';
import { clockSchema, parseOptions } from '../parse-options.js';

export const retryBudgetOptionsSchema = z.object({
  /** Retries allowed per first attempt over the window. */
  ratio: z.number().finite().min(0).max(10).default(0.1),
  /** Retries always allowed per second of window, so a quiet client can still retry. */
  minPerSecond: z.number().finite().min(0).default(1),
  /** Length of the sliding window. */
  windowMs: z.number().int().min(100).max(600_000).default(10_000),
  /** Slots the window is cut into; more slots = smoother sliding. */
  buckets: z.number().int().min(1).max(1_000).default(10),
  clock: clockSchema.default(() => systemClock),
});
export type RetryBudgetOptions = z.input<typeof retryBudgetOptionsSchema>;

const ALLOWED = {
  ratio: 'a number in [0, 10]',
  minPerSecond: 'a number ≥ 0',
  windowMs: 'an integer in [100, 600000]',
  buckets: 'an integer in [1, 1000]',
  clock: 'a Clock',
};

export interface RetryBudgetStats {
  firstAttempts: number;
  retries: number;
  /** Retries the budget would still allow now. */
  available: number;
  /** Retries refused since the budget was created. */
  refused: number;
}

/**
 * Retries ≤ max(ratio × first attempts, minPerSecond × window seconds) over a sliding window.
 * The floor is a minimum, not added on top of the ratio, so under a total outage with traffic
 * above the floor a client sends at most (1 + ratio) × its first-attempt load (Finagle's
 * RetryBudget and gRPC retry throttling have the same aim). Share one budget per client.
 */
export class RetryBudget {
  readonly options: Readonly<z.output<typeof retryBudgetOptionsSchema>>;
  private readonly firsts: number[];
  private readonly retries: number[];
  private readonly bucketMs: number;
  private bucketIndex = 0;
  private bucketStart: number;
  private refusedTotal = 0;

  constructor(options: RetryBudgetOptions = {}) {
    this.options = parseOptions(retryBudgetOptionsSchema, options, 'retryBudget', ALLOWED);
    this.firsts = new Array<number>(this.options.buckets).fill(0);
    this.retries = new Array<number>(this.options.buckets).fill(0);
    this.bucketMs = this.options.windowMs / this.options.buckets;
    this.bucketStart = this.options.clock.now();
  }

  /** Counts a call's first attempt: it earns `ratio` retries for the window. */
  recordFirstAttempt(): void {
    this.advance();
    this.firsts[this.bucketIndex]!++;
  }

  /** Takes one retry from the budget; false when it is spent (then the retry must not happen). */
  tryRetry(): boolean {
    if (this.available() < 1) {
      this.refusedTotal++;
      return false;
    }
    this.retries[this.bucketIndex]!++;
    return true;
  }

  /** Whole retries still allowed in the current window. */
  available(): number {
    this.advance();
    const firsts = sum(this.firsts);
    const allowed = Math.max(this.options.ratio * firsts, (this.options.minPerSecond * this.options.windowMs) / 1000);
    return Math.max(0, Math.floor(allowed + 1e-9) - sum(this.retries));
  }

  stats(): RetryBudgetStats {
    const available = this.available();
    return { firstAttempts: sum(this.firsts), retries: sum(this.retries), available, refused: this.refusedTotal };
  }

  private advance(): void {
    const now = this.options.clock.now();
    const elapsed = Math.floor((now - this.bucketStart) / this.bucketMs);
    if (elapsed <= 0) return;
    const steps = Math.min(elapsed, this.options.buckets);
    for (let i = 0; i < steps; i++) {
      this.bucketIndex = (this.bucketIndex + 1) % this.options.buckets;
      this.firsts[this.bucketIndex] = 0;
      this.retries[this.bucketIndex] = 0;
    }
    this.bucketStart += elapsed * this.bucketMs;
  }
}

function sum(values: readonly number[]): number {
  let total = 0;
  for (const value of values) total += value;
  return total;
}
