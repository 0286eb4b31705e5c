import { parseOptions, systemRandom } from '@ballast/core';
import { z } from 'zod';
import { invalidRecoveryOption } from './errors.js';
import { randomSchema } from './option-schemas.js';

export const backoffOptionsSchema = z.strictObject({
  /** Delay before the first retry, before jitter. */
  baseMs: z.number().finite().min(0).default(50),
  /** Cap on any single delay, before jitter. */
  maxMs: z.number().finite().min(0).default(2_000),
  /** Growth per attempt. */
  factor: z.number().finite().min(1).default(2),
  /**
   * "full": uniform in [0, d]; "equal": uniform in [d/2, d]; "none": exactly d. Full jitter spreads
   * synchronized clients best (AWS "Exponential Backoff and Jitter").
   */
  jitter: z.enum(['full', 'equal', 'none']).default('full'),
  random: randomSchema.default(() => systemRandom),
});
export type BackoffOptions = z.input<typeof backoffOptionsSchema>;

/** An immutable exponential backoff: `delayMs(n)` is the wait before retry n (0-based). */
export interface Backoff {
  delayMs(retry: number): number;
}

export function exponentialBackoff(options: BackoffOptions = {}): Backoff {
  const o = parseOptions(backoffOptionsSchema, options, 'backoff', { error: invalidRecoveryOption });
  return {
    delayMs(retry) {
      const ceiling = Math.min(o.maxMs, o.baseMs * o.factor ** Math.max(0, retry));
      switch (o.jitter) {
        case 'none':
          return ceiling;
        case 'equal':
          return ceiling / 2 + o.random() * (ceiling / 2);
        case 'full':
          return o.random() * ceiling;
      }
    },
  };
}
