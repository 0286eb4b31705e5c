import type { Clock, LatencyEstimates } from '@ballast/core';
import { CancelRate } from './cancel-rate.js';
import { HedgeBudget } from './hedge-budget.js';
import { HedgeWins } from './hedge-wins.js';
import type { LoopLoad } from './loop-load.js';
import type { RetryBudget } from './retry-budget.js';

/** Why a backup that was due was not sent. */
export type HedgeSkip =
  'no-other-endpoint' | 'cancel-rate' | 'client-saturated' | 'backups-losing' | 'share-spent' | 'retry-budget';

export const HEDGE_SKIPS: readonly HedgeSkip[] = [
  'no-other-endpoint',
  'cancel-rate',
  'client-saturated',
  'backups-losing',
  'share-spent',
  'retry-budget',
];

export interface HedgeGateOptions {
  readonly maxShare: number;
  readonly burst: number;
  readonly maxCancelsPerSecond: number;
  readonly cancelBurst: number;
  readonly budget: RetryBudget | undefined;
  readonly clock: Clock;
  /** The client's event loop; undefined: never measured, never holds a backup back. */
  readonly loopLoad: LoopLoad | undefined;
  readonly maxLoopLagRatio: number;
  readonly maxLoopUtilization: number;
  readonly minWinRate: number;
  readonly winWindow: number;
  readonly probeShare: number;
  readonly likelyWinFactor: number;
}

/** What the gate knows of a call whose backup is due. */
export interface BackupDue {
  readonly method: string;
  /** How long the primary has run: the hedge delay. */
  readonly delayMs: number;
  /** The endpoint the primary went to, when known. */
  readonly primary: string | undefined;
  /** Endpoints the balancer could choose from, and those the call avoids (see CallContext). */
  readonly eligible: number | undefined;
  readonly avoid: ReadonlySet<string>;
  readonly estimates: LatencyEstimates | undefined;
}

export type BackupVerdict =
  | { readonly send: true; /** the balancer expects the backup to win */ readonly likely: boolean }
  | { readonly send: false; readonly why: HedgeSkip };

/**
 * Decides each backup that is due, so that hedging only ever adds work where it buys latency.
 * A backup goes without further question when the balancer's own estimate says it is likely to
 * win: the primary's endpoint is typically `likelyWinFactor` times slower than the best other
 * one, and by more than the delay already waited. Any other backup is a bet on noise, and two
 * things make that bet lose: a client whose own event loop is behind (each callback waits
 * about as long as the delay, so the primary's lateness is the client's queue, which the backup
 * joins, taking CPU the primaries need) and a method whose backups have been losing (the
 * primaries finish just after the delay). Such backups wait for a quiet loop and are thinned by
 * the method's win rate. Every backup still keeps within the share of calls, the retry budget,
 * the other endpoints available and the primary endpoint's cancellation rate.
 * Pure but for the injected clock and lag source.
 */
export class HedgeGate {
  readonly cancels: CancelRate;
  readonly #share: HedgeBudget;
  readonly #wins: HedgeWins;

  constructor(private readonly o: HedgeGateOptions) {
    this.#share = new HedgeBudget(o.maxShare, o.burst);
    this.cancels = new CancelRate(o.maxCancelsPerSecond, o.cancelBurst, o.clock);
    this.#wins = new HedgeWins(o.minWinRate, o.winWindow, o.probeShare);
  }

  /** A call that may be hedged started (it earns the share its backups draw on). */
  onCall(): void {
    this.#share.onCall();
  }

  decide(due: BackupDue): BackupVerdict {
    // The backup would land where the call already is (or already failed): no gain, double load.
    if (due.eligible !== undefined && due.eligible <= due.avoid.size) return skip('no-other-endpoint');
    // The primary's endpoint takes the cancel when the backup wins: do not hedge into a spent rate.
    if (due.primary !== undefined && !this.cancels.available(due.primary)) return skip('cancel-rate');
    const likely = this.likelyToWin(due);
    if (!likely) {
      if (this.saturated(due.delayMs)) return skip('client-saturated');
      if (!this.#wins.admit(due.method)) return skip('backups-losing');
    }
    if (!this.#share.tryHedge()) return skip('share-spent');
    if (this.o.budget && !this.o.budget.tryRetry()) return skip('retry-budget');
    return { send: true, likely };
  }

  /** A call that sent backups on a bet (none likely to win) got its answer; `won`: from a backup. */
  betEnded(method: string, won: boolean): void {
    this.#wins.record(method, won);
  }

  /** Whether the balancer expects a backup to beat the primary (see the class comment). */
  likelyToWin(due: BackupDue): boolean {
    if (due.primary === undefined || due.estimates === undefined) return false;
    const primary = due.estimates.of(due.primary);
    const best = due.estimates.bestExcept(due.avoid);
    if (primary === undefined || best === undefined) return false;
    return primary >= best * this.o.likelyWinFactor && primary - best > due.delayMs;
  }

  /**
   * Whether the client's event loop is busy `maxLoopUtilization` of the time or more: a call that
   * starts then is not hedged at all. Bets would be held back anyway, and the backups the balancer
   * expects to win (the calls that land on a benched replica's probe, 1 in `probeEvery` at most)
   * buy less than the work every call would pay to be ready for one.
   */
  busy(): boolean {
    const load = this.o.loopLoad;
    return load !== undefined && this.o.maxLoopUtilization > 0 && load.utilization() >= this.o.maxLoopUtilization;
  }

  /**
   * Whether the client has no room for a backup: its event loop so far behind that the delay may
   * be its own queue, or so busy that a backup's work would come out of the primaries' time.
   */
  saturated(delayMs: number): boolean {
    const load = this.o.loopLoad;
    if (load === undefined) return false;
    if (this.busy()) return true;
    if (this.o.maxLoopLagRatio <= 0) return false;
    const lag = load.lagMs();
    return lag > 0 && lag >= this.o.maxLoopLagRatio * delayMs;
  }

  winRate(method: string): number {
    return this.#wins.winRate(method);
  }
}

function skip(why: HedgeSkip): BackupVerdict {
  return { send: false, why };
}
