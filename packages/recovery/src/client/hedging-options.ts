import type { Scheduler } from '@ballast/core';
import { z } from 'zod';
import type { LoopLoad } from './loop-load.js';
import { clockSchema, loggerSchema } from '../option-schemas.js';
import { RetryBudget } from './retry-budget.js';

export const hedgingOptionsSchema = z.strictObject({
  /** Wait before a backup attempt: a fixed number of ms, or "adaptive" = this method's observed percentile. */
  delayMs: z.union([z.number().finite().min(0), z.literal('adaptive')]).default('adaptive'),
  /** Percentile of the method's recent latencies used by the adaptive delay. */
  percentile: z.number().gt(0).lt(1).default(0.95),
  /** Adaptive delay before enough samples exist, and its floor. */
  initialDelayMs: z.number().finite().min(0).default(50),
  minDelayMs: z.number().finite().min(0).default(1),
  /** Latencies kept per method for the percentile. */
  windowSize: z.number().int().min(10).max(100_000).default(1_000),
  /** Backup attempts per call. */
  maxHedges: z.number().int().min(1).max(5).default(1),
  /** Backups as a share of hedgeable calls, at most (plus `burst`). */
  maxShare: z.number().finite().min(0).max(1).default(0.05),
  /** Backups allowed at once above the share (a quiet client's first slow calls). */
  burst: z.number().finite().min(1).max(10_000).default(10),
  /** Cancelled attempts per second each endpoint may take from this client, and their burst. */
  maxCancelsPerSecond: z.number().finite().min(0).default(20),
  cancelBurst: z.number().finite().min(1).default(200),
  /** Hold back backups the balancer does not expect to win while the client's event-loop delay is ≥ this × the hedge delay (0: never)… */
  maxLoopLagRatio: z.number().finite().min(0).default(0.25),
  /** … or while its event loop is busy at least this share of the time, when a call that starts is not hedged at all (0: never). */
  maxLoopUtilization: z.number().finite().min(0).max(1).default(0.9),
  /** Where the event loop's delay and utilization are read; `false` never reads them. Default: this process's, measured once hedging is used. */
  loopLoad: z
    .union([
      z.literal(false),
      z
        .custom<LoopLoad>((v) => typeof (v as LoopLoad | undefined)?.utilization === 'function', 'expected a LoopLoad')
        .describe('a LoopLoad { lagMs(), utilization(), close() }'),
    ])
    .optional(),
  /** Below this share of a method's recent backups winning, only `probeShare` of its backups are sent (0: all). */
  minWinRate: z.number().finite().min(0).max(1).default(0.2),
  /** Backups the per-method win rate averages over. */
  winWindow: z.number().int().min(1).max(100_000).default(20),
  /** The share of backups still sent however rarely they win, so a method whose backups start winning again is noticed. */
  probeShare: z.number().finite().gt(0).max(1).default(0.05),
  /** A backup is likely to win when the balancer's estimate of the primary's endpoint is ≥ this × the best other one's (and slower by more than the delay). */
  likelyWinFactor: z.number().finite().min(1).default(2),
  /** Each backup also draws one retry from this budget; none when it is spent. */
  budget: z.instanceof(RetryBudget).describe('a RetryBudget').optional(),
  /** Time and the backup timer (tests pass a VirtualScheduler); default: real time. */
  scheduler: z
    .custom<Scheduler>(
      (v) =>
        typeof (v as Scheduler | undefined)?.setTimeout === 'function' &&
        typeof (v as Scheduler | undefined)?.now === 'function',
      'expected a Scheduler { now, setTimeout, clearTimeout, sleep }',
    )
    .describe('a Scheduler from @ballast/core (systemScheduler, VirtualScheduler)')
    .optional(),
  /** Time alone, for latencies and cancellation rates, when no scheduler is given. */
  clock: clockSchema.optional(),
  logger: loggerSchema.optional(),
});
export type HedgingOptions = z.input<typeof hedgingOptionsSchema>;

/** Per call: `hedge: false` turns hedging off, `hedge: true` opts a non-idempotent method in. */
export type HedgingCallOptions = { hedge?: boolean };
