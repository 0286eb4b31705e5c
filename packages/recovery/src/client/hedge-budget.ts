/**
 * Backups allowed as a share of calls: a bucket that every hedgeable call fills by `share` and
 * every backup empties by one, holding at most `burst`. Over any stretch, backups ≤ share × calls
 * + burst, so hedging never adds more than `share` of the load however slow the tail gets ("The
 * Tail at Scale" hedged about 2 % of requests). Pure: no clock, the calls are the clock.
 */
export class HedgeBudget {
  #tokens: number;
  #refused = 0;

  constructor(
    readonly share: number,
    readonly burst: number,
  ) {
    this.#tokens = burst;
  }

  /** A call that may be hedged started. */
  onCall(): void {
    this.#tokens = Math.min(this.burst, this.#tokens + this.share);
  }

  /** Takes one backup from the budget; false (and counted) when it is spent. */
  tryHedge(): boolean {
    if (this.#tokens >= 1) {
      this.#tokens -= 1;
      return true;
    }
    this.#refused++;
    return false;
  }

  get refused(): number {
    return this.#refused;
  }
}
