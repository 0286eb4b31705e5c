export interface ResetLimit {
  /** Streams a connection may abandon at once before it is closed. */
  readonly burst: number;
  /** Abandoned streams a connection is allowed per second, sustained. */
  readonly perSecond: number;
}

/**
 * A token bucket of abandoned streams: full at `burst`, refilled at `perSecond`. Pure: time is
 * passed in.
 */
export class ResetBudget {
  #tokens: number;
  #at: number;

  constructor(
    private readonly limit: ResetLimit,
    now: number,
  ) {
    this.#tokens = limit.burst;
    this.#at = now;
  }

  /** Takes one token; false when none is left. */
  take(now: number): boolean {
    this.#tokens = Math.min(this.limit.burst, this.#tokens + ((now - this.#at) / 1000) * this.limit.perSecond);
    this.#at = now;
    if (this.#tokens < 1) return false;
    this.#tokens--;
    return true;
  }
}
