interface MethodWins {
  /** Share of recent backups that answered first (an average over about `window` backups). */
  rate: number;
  /** Backups owed to this method: grows by the admitted share per due backup, spent one by one. */
  credit: number;
}

/**
 * How often each method's backups win, and whether that earns them. A backup that loses doubled
 * the work for nothing; one that keeps losing (the primaries finish just after the delay, or the
 * tail is the client's own queue, which a backup waits in too) should stop being sent. So while a
 * method's win rate is at least `minWinRate` every eligible backup goes; below it only
 * `probeShare` of them, so that a method whose backups start winning again (a replica turned
 * slow) is noticed: the adaptive hedge rate of "The Tail at Scale", in the manner of gRPC's retry
 * throttling, on wins rather than failures. The rate averages over about `window` backups.
 * Pure: calls and outcomes are the clock.
 */
export class HedgeWins {
  readonly #methods = new Map<string, MethodWins>();

  constructor(
    readonly minWinRate: number,
    /** Backups the win rate averages over. */
    readonly window: number,
    readonly probeShare: number,
  ) {}

  /** A backup of `method` is due (every other check passed): whether to send it. */
  admit(method: string): boolean {
    const entry = this.#entry(method);
    entry.credit = Math.min(1, entry.credit + this.#share(entry.rate));
    if (entry.credit < 1) return false;
    entry.credit -= 1;
    return true;
  }

  /** A call of `method` that sent a backup ended with an answer: `won` when a backup gave it. */
  record(method: string, won: boolean): void {
    const entry = this.#entry(method);
    entry.rate += ((won ? 1 : 0) - entry.rate) / this.window;
  }

  /** The method's recent win rate (1 before any backup: hedging starts trusting). */
  winRate(method: string): number {
    return this.#methods.get(method)?.rate ?? 1;
  }

  #share(rate: number): number {
    return rate >= this.minWinRate ? 1 : this.probeShare;
  }

  #entry(method: string): MethodWins {
    let entry = this.#methods.get(method);
    if (entry === undefined) {
      entry = { rate: 1, credit: 1 };
      this.#methods.set(method, entry);
    }
    return entry;
  }
}
