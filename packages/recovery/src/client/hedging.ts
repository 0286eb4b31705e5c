import { CALL_CONTEXT, CallContext, callContextOf, createLogger, extendOptions } from '@ballast/core';
import type { CallOptions, ClientMiddleware } from 'nice-grpc-common';
import { HEDGE_SKIPS, HedgeGate, type HedgeSkip } from './hedge-gate.js';
import {
  HEDGING_ALLOWED,
  hedgingOptionsSchema,
  type HedgingCallOptions,
  type HedgingOptions,
} from './hedging-options.js';
import { monitorLoopLoad, type LoopLoad } from './loop-load.js';
import { MethodDelays } from './method-delays.js';
import { parseOptions } from '../parse-options.js';

export { hedgingOptionsSchema } from './hedging-options.js';
export type { HedgingCallOptions, HedgingOptions, Timers } from './hedging-options.js';
export interface HedgingStats {
  calls: number;
  hedges: number;
  hedgeWins: number;
  /** Backups sent because the balancer expected them to win (the primary's endpoint is the slow one). */
  hedgesLikely: number;
  /** Backups due but not sent, in all and by reason. */
  skipped: number;
  skippedBecause: Record<HedgeSkip, number>;
  /** Losers left to finish instead of cancelled, because their endpoint's cancellation rate was spent. */
  lossesLeftRunning: number;
  /** The delay a call of the method that finished last would wait now before hedging. */
  currentDelayMs: number;
  /** The client's recent event-loop delay, ms, and busy share, as hedging reads them (0 before it does). */
  loopLagMs: number;
  loopUtilization: number;
}

export interface Hedging {
  middleware: ClientMiddleware<HedgingCallOptions>;
  stats(): HedgingStats;
  /** The delay before a backup of a call to `method` (full path) starting now. */
  delayFor(method: string): number;
  /** The share of `method`'s recent backups that won (1 before any). */
  winRate(method: string): number;
  /** Stops measuring the event loop. */
  close(): void;
}

/**
 * Hedged requests ("The Tail at Scale"): when the first attempt has not answered after the delay
 * (fixed, or the observed percentile of this method's latencies), send a backup — a fresh pick on
 * the balanced channel — and keep the first success. Backups are capped as a share of calls; none
 * is sent when no endpoint is left beside those already working on the call. A loser is cancelled
 * only while its endpoint's cancellation rate allows (each cancel is an RST_STREAM the server
 * counts), and otherwise left to finish, its answer dropped. Each due backup is decided by
 * HedgeGate: sent at once when the balancer expects it to win, held back otherwise while the
 * client is saturated or the method's backups keep losing. Unary idempotent methods only,
 * unless the call opts in.
 */
export function createHedging(options: HedgingOptions = {}): Hedging {
  const o = parseOptions(hedgingOptionsSchema, options, 'hedging', HEDGING_ALLOWED);
  const logger = o.logger ?? createLogger('ballast.recovery.hedging');
  const delays = new MethodDelays(o.percentile, o.initialDelayMs, o.minDelayMs, o.windowSize);
  // Measured only once a call may be hedged: a client that never hedges runs no monitor.
  let own: LoopLoad | undefined;
  const lazy: LoopLoad = {
    lagMs: () => (own ??= monitorLoopLoad()).lagMs(),
    utilization: () => (own ??= monitorLoopLoad()).utilization(),
    close: () => own?.close(),
  };
  const loopLoad = o.loopLoad === false ? undefined : (o.loopLoad ?? lazy);
  const gate = new HedgeGate({ ...o, budget: o.budget, loopLoad });
  const cancels = gate.cancels;
  const timers = o.timers;
  const counts = { calls: 0, hedges: 0, hedgeWins: 0, hedgesLikely: 0, skipped: 0, lossesLeftRunning: 0 };
  const skippedBecause = Object.fromEntries(HEDGE_SKIPS.map((why) => [why, 0])) as Record<HedgeSkip, number>;
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
    gate.onCall();
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
    // Whether every backup sent was a bet (none expected to win): its outcome teaches the win rate.
    let bet = true;
    let hedges = 0;
    const onOuterAbort = () => controllers.forEach((c) => c.abort());
    outer?.addEventListener('abort', onOuterAbort);
    try {
      const value = await new Promise<unknown>((resolve, reject) => {
        let live = 0;
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
        const skip = (why: HedgeSkip) => {
          counts.skipped++;
          skippedBecause[why]++;
          if (why === 'share-spent' || why === 'retry-budget')
            context.note({ type: 'budget-refused', refused: 'hedge' });
          logger.debug({ method }, `hedge skipped: ${why}`);
        };
        const schedule = () => {
          if (hedges >= o.maxHedges) return;
          timer = timers.setTimeout(() => {
            timer = undefined;
            if (done) return;
            const verdict = gate.decide({
              method,
              delayMs: wait,
              primary: context.attempts[first]?.endpointId,
              eligible: context.eligibleEndpoints,
              avoid: context.avoid(),
              estimates: context.estimates,
            });
            if (!verdict.send) return skip(verdict.why);
            if (verdict.likely) {
              bet = false;
              counts.hedgesLikely++;
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
      if (hedges > 0 && winner >= 0 && bet) gate.betEnded(method, winner > 0);
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
      skippedBecause: { ...skippedBecause },
      currentDelayMs: o.delayMs === 'adaptive' ? delays.lastDelayMs : o.delayMs,
      // Read only where measured already: stats alone start no monitor.
      ...(own !== undefined || o.loopLoad
        ? { loopLagMs: loopLoad!.lagMs(), loopUtilization: loopLoad!.utilization() }
        : { loopLagMs: 0, loopUtilization: 0 }),
    }),
    delayFor,
    winRate: (method) => gate.winRate(method),
    close: () => loopLoad?.close(),
  };
}

async function drainUnary<T>(iterable: AsyncIterable<T>): Promise<T> {
  const iterator = iterable[Symbol.asyncIterator]();
  const result = await iterator.next();
  if (!result.done) throw new Error('hedging: a unary call yielded a message');
  return result.value;
}
