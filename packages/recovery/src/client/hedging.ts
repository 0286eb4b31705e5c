import {
  CALL_CONTEXT,
  CallContext,
  callContextOf,
  createLogger,
  extendOptions,
  parseOptions,
  systemClock,
  systemScheduler,
} from '@ballast/core';
import type { CallOptions, ClientMiddleware, ClientMiddlewareCall } from 'nice-grpc-common';
import { DeadlineQueue } from './deadline-queue.js';
import { HedgedCall, type HedgingHost } from './hedged-call.js';
import { HEDGE_SKIPS, HedgeGate, type HedgeSkip } from './hedge-gate.js';
import { hedgingOptionsSchema, type HedgingCallOptions, type HedgingOptions } from './hedging-options.js';
import { invalidRecoveryOption } from '../errors.js';
import { monitorLoopLoad, type LoopLoad } from './loop-load.js';
import { MethodDelays } from './method-delays.js';

export { hedgingOptionsSchema } from './hedging-options.js';
export type { HedgingCallOptions, HedgingOptions } from './hedging-options.js';
export interface HedgingStats {
  /** Calls made ready for a backup (hedgeable, and started while the client had room). */
  calls: number;
  /** Hedgeable calls passed straight through because the client's event loop was busy (`maxLoopUtilization`). */
  passedBusy: number;
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
  const o = parseOptions(hedgingOptionsSchema, options, 'hedging', { error: invalidRecoveryOption });
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
  const scheduler = o.scheduler ?? systemScheduler;
  const clock = o.scheduler ?? o.clock ?? systemClock;
  const gate = new HedgeGate({ ...o, budget: o.budget, loopLoad, clock });
  const counts = {
    calls: 0,
    passedBusy: 0,
    hedges: 0,
    hedgeWins: 0,
    hedgesLikely: 0,
    skipped: 0,
    lossesLeftRunning: 0,
  };
  const skippedBecause = Object.fromEntries(HEDGE_SKIPS.map((why) => [why, 0])) as Record<HedgeSkip, number>;
  const delayFor = (method: string) => (o.delayMs === 'adaptive' ? delays.delayFor(method) : o.delayMs);

  const host: HedgingHost = {
    gate,
    deadlines: new DeadlineQueue(scheduler),
    maxHedges: o.maxHedges,
    logger,
    clock,
    afterIo: (callback, call) => setImmediate(callback, call),
    delays: o.delayMs === 'adaptive' ? delays : undefined,
    counts,
    skippedBecause,
    transportCancels: false,
  };

  // Not an `async function*`: a call passed through returns the layer below's answer, and a
  // hedged one returns its HedgedCall, which is its own answer (see there).
  const middleware: ClientMiddleware<HedgingCallOptions> = function hedging(call, options) {
    const hedge = options.hedge;
    const idempotency = call.method.options.idempotencyLevel;
    const idempotent = idempotency === 'IDEMPOTENT' || idempotency === 'NO_SIDE_EFFECTS';
    // The per-call switch is ours: the layers below never see it (no copy when it is absent).
    let rest: CallOptions = options;
    if (hedge !== undefined) {
      const { hedge: _own, ...others } = options;
      rest = others;
    }
    if (call.requestStream || call.responseStream || !(hedge ?? idempotent)) {
      return call.next(call.request, rest);
    }
    // A saturated client stands aside: no backup would go but the rare likely one, and getting
    // every call ready for one costs the primaries CPU they have none of to spare.
    if (gate.busy()) {
      counts.passedBusy++;
      return call.next(call.request, rest);
    }
    const method = call.method.path;
    counts.calls++;
    gate.onCall();
    // Every attempt of this call shares its context: the balanced channel then sends a backup to
    // a replica other than the ones still working on it (the slow or frozen one we hedge against).
    let context = callContextOf(rest);
    if (context === undefined) {
      context = new CallContext(method);
      rest = extendOptions(rest, { [CALL_CONTEXT]: context });
    }
    return new HedgedCall(
      host,
      call as ClientMiddlewareCall<unknown, unknown>,
      rest,
      context,
      delayFor(method),
    ) as never;
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
