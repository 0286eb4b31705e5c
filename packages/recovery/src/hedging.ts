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
import { LatencyWindow } from './latency-window.js';
import { clockSchema, parseOptions } from './parse-options.js';
import { RetryBudget } from './retry-budget.js';

export const hedgingOptionsSchema = z.object({
  /** Wait before a backup attempt: a fixed number of ms, or "adaptive" = observed percentile. */
  delayMs: z.union([z.number().finite().min(0), z.literal('adaptive')]).default('adaptive'),
  /** Percentile of recent latencies used by the adaptive delay. */
  percentile: z.number().gt(0).lt(1).default(0.95),
  /** Adaptive delay before enough samples exist, and its floor. */
  initialDelayMs: z.number().finite().min(0).default(50),
  minDelayMs: z.number().finite().min(0).default(1),
  /** Latencies kept for the percentile. */
  windowSize: z.number().int().min(10).max(100_000).default(1_000),
  /** Backup attempts per call. */
  maxHedges: z.number().int().min(1).max(5).default(1),
  /** Each backup draws one retry from this budget; none when it is spent. */
  budget: z.instanceof(RetryBudget).optional(),
  clock: clockSchema.default(() => systemClock),
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
  budget: 'a RetryBudget',
  clock: 'a Clock',
};

/** Per call: `hedge: false` turns hedging off, `hedge: true` opts a non-idempotent method in. */
export type HedgingCallOptions = { hedge?: boolean };

export interface HedgingStats {
  calls: number;
  hedges: number;
  hedgeWins: number;
  /** The delay a call starting now would wait before hedging. */
  currentDelayMs: number;
}

export interface Hedging {
  middleware: ClientMiddleware<HedgingCallOptions>;
  stats(): HedgingStats;
}

/**
 * Hedged requests ("The Tail at Scale"): when the first attempt has not answered after the delay,
 * send a backup (a fresh pick on the balanced channel); the first success wins and the others are
 * cancelled. Unary idempotent methods only, unless the call opts in.
 */
export function createHedging(options: HedgingOptions = {}): Hedging {
  const o = parseOptions(hedgingOptionsSchema, options, 'hedging', ALLOWED);
  const logger = o.logger ?? createLogger('ballast.recovery.hedging');
  const latencies = new LatencyWindow(o.windowSize);
  const counts = { calls: 0, hedges: 0, hedgeWins: 0 };

  // The percentile sorts the window, so it is recomputed every 16 samples rather than per call.
  let samplesSinceRefresh = 0;
  let adaptive = o.initialDelayMs;
  const record = (latencyMs: number) => {
    latencies.add(latencyMs);
    if (++samplesSinceRefresh < 16 && latencies.count !== 20) return;
    samplesSinceRefresh = 0;
    const observed = latencies.count >= 20 ? latencies.percentile(o.percentile) : undefined;
    adaptive = Math.max(o.minDelayMs, observed ?? o.initialDelayMs);
  };
  const currentDelayMs = () => (o.delayMs === 'adaptive' ? adaptive : o.delayMs);

  const middleware: ClientMiddleware<HedgingCallOptions> = async function* hedging(call, options) {
    const { hedge, ...rest } = options;
    const idempotency = call.method.options.idempotencyLevel;
    const idempotent = idempotency === 'IDEMPOTENT' || idempotency === 'NO_SIDE_EFFECTS';
    if (call.requestStream || call.responseStream || !(hedge ?? idempotent)) {
      return yield* call.next(call.request, rest);
    }
    counts.calls++;
    const started = o.clock.now();
    const outer = rest.signal;
    const controllers: AbortController[] = [];
    const wait = currentDelayMs();
    // Every attempt of this call shares its context: the balanced channel then sends a backup to
    // a replica other than the ones still working on it (the slow or frozen one we hedge against).
    const context = callContextOf(rest) ?? new CallContext(call.method.path);
    const shared = callContextOf(rest) === context ? rest : extendOptions(rest, { [CALL_CONTEXT]: context });
    const onOuterAbort = () => controllers.forEach((c) => c.abort());
    outer?.addEventListener('abort', onOuterAbort);
    try {
      const value = await new Promise<unknown>((resolve, reject) => {
        let live = 0;
        let hedges = 0;
        let done = false;
        let timer: NodeJS.Timeout | undefined;
        const errors: unknown[] = [];
        const finish = () => {
          done = true;
          clearTimeout(timer);
        };
        const launch = (index: number) => {
          live++;
          const controller = new AbortController();
          controllers.push(controller);
          drainUnary(call.next(call.request, extendOptions(shared, { signal: controller.signal }) as CallOptions)).then(
            (result) => {
              if (done) return;
              finish();
              if (index > 0) counts.hedgeWins++;
              resolve(result);
            },
            (error: unknown) => {
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
        const schedule = () => {
          if (hedges >= o.maxHedges) return;
          timer = setTimeout(() => {
            if (done) return;
            if (o.budget && !o.budget.tryRetry()) {
              logger.debug({ method: call.method.path }, 'hedge skipped: retry budget exhausted');
              context.note({ type: 'budget-refused', refused: 'hedge' });
              return;
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
      record(o.clock.now() - started);
      return value as never;
    } finally {
      outer?.removeEventListener('abort', onOuterAbort);
      // The losers: cancelled so they stop holding server capacity.
      for (const controller of controllers) controller.abort();
    }
  };

  return { middleware, stats: () => ({ ...counts, currentDelayMs: currentDelayMs() }) };
}

async function drainUnary<T>(iterable: AsyncIterable<T>): Promise<T> {
  const iterator = iterable[Symbol.asyncIterator]();
  const result = await iterator.next();
  if (!result.done) throw new Error('hedging: a unary call yielded a message');
  return result.value;
}
