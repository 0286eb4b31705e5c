import {
  CALL_CONTEXT,
  CallContext,
  callContextOf,
  createLogger,
  extendOptions,
  systemClock,
  type Logger,
} from '@ballast/core';
import type { CallOptions, ClientMiddleware } from 'nice-grpc-common';
import { z } from 'zod';
import { CancelRate } from './cancel-rate.js';
import { HedgeBudget } from './hedge-budget.js';
import { MethodDelays } from './method-delays.js';
import { clockSchema, parseOptions } from './parse-options.js';
import { RetryBudget } from './retry-budget.js';

/** Where hedging's timers come from; tests pass fake ones. */
export interface Timers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const systemTimers: Timers = {
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export const hedgingOptionsSchema = z.object({
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
  /** Each backup also draws one retry from this budget; none when it is spent. */
  budget: z.instanceof(RetryBudget).optional(),
  clock: clockSchema.default(() => systemClock),
  timers: z
    .custom<Timers>((v) => typeof (v as Timers | undefined)?.setTimeout === 'function', 'expected Timers')
    .default(() => systemTimers),
  logger: z.custom<Logger>().optional(),
});
export type HedgingOptions = z.input<typeof hedgingOptionsSchema>;

const ALLOWED = {
  delayMs: 'a number of milliseconds ≥ 0 or "adaptive"',
  percentile: 'a number in (0, 1)',
  initialDelayMs: 'a number of milliseconds ≥ 0',
  minDelayMs: 'a number of milliseconds ≥ 0',
  windowSize: 'an integer in [10, 100000]',
  maxHedges: 'an integer in [1, 5]',
  maxShare: 'a number in [0, 1]',
  burst: 'a number in [1, 10000]',
  maxCancelsPerSecond: 'a number ≥ 0',
  cancelBurst: 'a number ≥ 1',
  budget: 'a RetryBudget',
  clock: 'a Clock',
  timers: '{ setTimeout, clearTimeout }',
};

/** Per call: `hedge: false` turns hedging off, `hedge: true` opts a non-idempotent method in. */
export type HedgingCallOptions = { hedge?: boolean };

export interface HedgingStats {
  calls: number;
  hedges: number;
  hedgeWins: number;
  /** Backups not sent: over the share budget, the retry budget, or no other endpoint to send to. */
  skipped: number;
  /** Losers left to finish instead of cancelled, because their endpoint's cancellation rate was spent. */
  lossesLeftRunning: number;
  /** The delay a call of the method that finished last would wait now before hedging. */
  currentDelayMs: number;
}

export interface Hedging {
  middleware: ClientMiddleware<HedgingCallOptions>;
  stats(): HedgingStats;
  /** The delay before a backup of a call to `method` (full path) starting now. */
  delayFor(method: string): number;
}

/**
 * Hedged requests ("The Tail at Scale"): when the first attempt has not answered after the delay
 * (fixed, or the observed percentile of this method's latencies), send a backup — a fresh pick on
 * the balanced channel — and keep the first success. Backups are capped as a share of calls; none
 * is sent when no endpoint is left beside those already working on the call. A loser is cancelled
 * only while its endpoint's cancellation rate allows (each cancel is an RST_STREAM the server
 * counts), and otherwise left to finish, its answer dropped. Unary idempotent methods only,
 * unless the call opts in.
 */
export function createHedging(options: HedgingOptions = {}): Hedging {
  const o = parseOptions(hedgingOptionsSchema, options, 'hedging', ALLOWED);
  const logger = o.logger ?? createLogger('ballast.recovery.hedging');
  const delays = new MethodDelays(o.percentile, o.initialDelayMs, o.minDelayMs, o.windowSize);
  const share = new HedgeBudget(o.maxShare, o.burst);
  const cancels = new CancelRate(o.maxCancelsPerSecond, o.cancelBurst, o.clock);
  const timers = o.timers;
  const counts = { calls: 0, hedges: 0, hedgeWins: 0, skipped: 0, lossesLeftRunning: 0 };
  const delayFor = (method: string) => (o.delayMs === 'adaptive' ? delays.delayFor(method) : o.delayMs);

  const middleware: ClientMiddleware<HedgingCallOptions> = async function* hedging(call, options) {
    const { hedge, ...rest } = options;
    const idempotency = call.method.options.idempotencyLevel;
    const idempotent = idempotency === 'IDEMPOTENT' || idempotency === 'NO_SIDE_EFFECTS';
    if (call.requestStream || call.responseStream || !(hedge ?? idempotent)) {
      return yield* call.next(call.request, rest);
    }
    const method = call.method.path;
    counts.calls++;
    share.onCall();
    const started = o.clock.now();
    const outer = rest.signal;
    const wait = delayFor(method);
    // Every attempt of this call shares its context: the balanced channel then sends a backup to
    // a replica other than the ones still working on it (the slow or frozen one we hedge against).
    const context = callContextOf(rest) ?? new CallContext(method);
    const shared = callContextOf(rest) === context ? rest : extendOptions(rest, { [CALL_CONTEXT]: context });
    const first = context.attempts.length;
    const controllers: AbortController[] = [];
    const settled: boolean[] = [];
    let winner = -1;
    const onOuterAbort = () => controllers.forEach((c) => c.abort());
    outer?.addEventListener('abort', onOuterAbort);
    try {
      const value = await new Promise<unknown>((resolve, reject) => {
        let live = 0;
        let hedges = 0;
        let done = false;
        let timer: unknown;
        const errors: unknown[] = [];
        const finish = () => {
          done = true;
          if (timer !== undefined) timers.clearTimeout(timer);
        };
        const launch = (index: number) => {
          live++;
          const controller = new AbortController();
          controllers.push(controller);
          settled.push(false);
          drainUnary(call.next(call.request, extendOptions(shared, { signal: controller.signal }) as CallOptions)).then(
            (result) => {
              settled[index] = true;
              if (done) return;
              finish();
              winner = index;
              if (index > 0) counts.hedgeWins++;
              resolve(result);
            },
            (error: unknown) => {
              settled[index] = true;
              live--;
              errors.push(error);
              // Every attempt sent so far failed: a failure is the retry layer's business, not ours.
              if (!done && live === 0) {
                finish();
                reject(errors[0]);
              }
            },
          );
        };
        const skip = (why: string) => {
          counts.skipped++;
          logger.debug({ method }, `hedge skipped: ${why}`);
        };
        const schedule = () => {
          if (hedges >= o.maxHedges) return;
          timer = timers.setTimeout(() => {
            timer = undefined;
            if (done) return;
            // The backup would land where the call already is (or already failed): no gain, double load.
            const eligible = context.eligibleEndpoints;
            if (eligible !== undefined && eligible <= context.avoid().size) {
              return skip('no other endpoint to send it to');
            }
            // The primary's endpoint takes the cancel when the backup wins: do not hedge into a spent rate.
            const primary = context.attempts[first]?.endpointId;
            if (primary !== undefined && !cancels.available(primary)) return skip('cancellation rate spent');
            if (!share.tryHedge()) {
              context.note({ type: 'budget-refused', refused: 'hedge' });
              return skip('hedge share spent');
            }
            if (o.budget && !o.budget.tryRetry()) {
              context.note({ type: 'budget-refused', refused: 'hedge' });
              return skip('retry budget exhausted');
            }
            hedges++;
            counts.hedges++;
            context.hedges++;
            launch(hedges);
            schedule();
          }, wait);
        };
        launch(0);
        schedule();
      });
      delays.record(method, o.clock.now() - started);
      return value as never;
    } finally {
      outer?.removeEventListener('abort', onOuterAbort);
      // The losers: cancelled so they stop holding server capacity, while their endpoint's
      // cancellation rate allows; otherwise left to finish (no RST_STREAM), their answer dropped.
      const callerGaveUp = outer?.aborted === true;
      controllers.forEach((controller, index) => {
        if (settled[index] || index === winner) return;
        const endpoint = context.attempts[first + index]?.endpointId;
        if (callerGaveUp || endpoint === undefined || cancels.tryTake(endpoint)) controller.abort();
        else counts.lossesLeftRunning++;
      });
    }
  };

  return {
    middleware,
    stats: () => ({
      ...counts,
      currentDelayMs: o.delayMs === 'adaptive' ? delays.lastDelayMs : o.delayMs,
    }),
    delayFor,
  };
}

async function drainUnary<T>(iterable: AsyncIterable<T>): Promise<T> {
  const iterator = iterable[Symbol.asyncIterator]();
  const result = await iterator.next();
  if (!result.done) throw new Error('hedging: a unary call yielded a message');
  return result.value;
}
