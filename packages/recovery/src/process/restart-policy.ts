import { z } from 'zod';
import { exponentialBackoff, type Backoff } from '../backoff.js';
import { parseOptions } from '../parse-options.js';

export const restartPolicyOptionsSchema = z.object({
  /** First restart delay; doubles per consecutive crash up to maxDelayMs. */
  baseDelayMs: z.number().finite().min(0).default(100),
  maxDelayMs: z.number().finite().min(0).default(10_000),
  /** More crashes than this within windowMs is a crash loop: stop restarting. */
  maxRestarts: z.number().int().min(0).default(5),
  windowMs: z.number().int().min(1).default(60_000),
  /** A child that ran this long is healthy again: its backoff starts over. */
  stableMs: z.number().int().min(0).default(10_000),
  /** Restart after a clean exit (code 0) too. */
  restartOnCleanExit: z.boolean().default(false),
});
export type RestartPolicyOptions = z.input<typeof restartPolicyOptionsSchema>;

const ALLOWED = {
  baseDelayMs: 'a number of milliseconds ≥ 0',
  maxDelayMs: 'a number of milliseconds ≥ 0',
  maxRestarts: 'an integer ≥ 0',
  windowMs: 'an integer number of milliseconds ≥ 1',
  stableMs: 'an integer number of milliseconds ≥ 0',
  restartOnCleanExit: 'true or false',
};

export type RestartDecision =
  | { readonly action: 'restart'; readonly delayMs: number }
  | { readonly action: 'give-up'; readonly reason: string }
  | { readonly action: 'done' };

/** Decides what follows a child's exit: pure, times are passed in. */
export class RestartPolicy {
  readonly options: Readonly<z.output<typeof restartPolicyOptionsSchema>>;
  private readonly backoff: Backoff;
  private crashes: number[] = [];
  private consecutive = 0;

  constructor(options: RestartPolicyOptions = {}) {
    this.options = parseOptions(restartPolicyOptionsSchema, options, 'restart', ALLOWED);
    this.backoff = exponentialBackoff({
      baseMs: this.options.baseDelayMs,
      maxMs: this.options.maxDelayMs,
      jitter: 'none',
    });
  }

  /** `ranMs`: how long the child ran; `clean`: exit code 0. */
  onExit(now: number, ranMs: number, clean: boolean): RestartDecision {
    if (clean && !this.options.restartOnCleanExit) return { action: 'done' };
    if (ranMs >= this.options.stableMs) this.consecutive = 0;
    this.crashes = this.crashes.filter((at) => now - at < this.options.windowMs);
    this.crashes.push(now);
    if (this.crashes.length > this.options.maxRestarts) {
      return {
        action: 'give-up',
        reason: `crash loop: ${this.crashes.length} exits within ${this.options.windowMs} ms (maxRestarts ${this.options.maxRestarts})`,
      };
    }
    return { action: 'restart', delayMs: this.backoff.delayMs(this.consecutive++) };
  }
}
