/**
 * An endpoint's typical best latency: it drops to a new low at once and rises toward higher
 * answers with a time constant of `FLOOR_RISE_MS`, so it tracks about the fastest answer of the
 * last few seconds. A consistently slow replica never answers fast, so its floor sits at its
 * added latency; a fast replica's stray slow answer, a burst of them after a server's GC pause, or
 * a stall the client shares with every endpoint barely moves it (they arrive close together in
 * time), where a peak estimate holds them for seconds. Time is passed in: pure and exact in tests.
 */
export class LatencyFloor {
  #value = Number.NaN;
  #stamp = 0;

  /** Undefined until the first observation: an endpoint never measured is never benched. */
  get value(): number | undefined {
    return Number.isNaN(this.#value) ? undefined : this.#value;
  }

  observe(latencyMs: number, now: number): void {
    if (Number.isNaN(this.#value) || latencyMs < this.#value) this.#value = latencyMs;
    else this.#value += (latencyMs - this.#value) * (1 - Math.exp(-Math.max(0, now - this.#stamp) / FLOOR_RISE_MS));
    this.#stamp = Math.max(this.#stamp, now);
  }
}

/**
 * How fast the floor follows answers above it: after one time constant of nothing but slow
 * answers it has come 63 % of the way. Long enough that the fast replicas' floors stay near their
 * fastest answers when the client is busy and every latency carries its queueing.
 */
const FLOOR_RISE_MS = 3_000;

export interface SlowBenchOptions {
  /** An endpoint is slow when its floor exceeds the median floor × this … */
  readonly slowFactor: number;
  /** … and the median floor + this many milliseconds. */
  readonly slowMarginMs: number;
  /** A benched endpoint takes one probe per this interval, and only when idle… */
  readonly probeIntervalMs: number;
  /** … and only one per this many picks: at most 1 ÷ this of the attempts go to it, however low the call rate. */
  readonly probeEvery: number;
}

/** What the bench needs of one endpoint's state. */
export interface BenchState {
  readonly floor: LatencyFloor;
  readonly inFlight: number;
  /** When the endpoint last took a probe (outlives pickers, so a rebuild does not reset the budget). */
  probedAt: number;
  /** Picks since its last probe (Infinity before the first). */
  picksSinceProbe: number;
}

/**
 * Keeps consistently slow endpoints out of a picker's choices ("The Tail at Scale": one slow
 * replica sets the p99 once it takes ≥ 1 % of attempts). Peak-EWMA's cost, latency × (in-flight
 * + 1), lets an endpoint k× slower than the rest hold about 1/k as many attempts in flight as a
 * fast one, so under concurrency it keeps taking a share of the attempts that set the tail; and
 * its idle estimate decays toward 0, which sends it more. Benched endpoints are picked only as
 * probes — at most one in flight, one per `probeIntervalMs` and one per `probeEvery` picks each —
 * and a probe that answers fast brings its floor down at once, which un-benches it at the next
 * refresh. A probe is a slow call, so the pick count bounds them as a share of attempts: a
 * time interval alone sends a client at 800 calls/s 1 probe in 800, one at 10 calls/s 1 in 10.
 *
 * The reference is the lower median floor of the measured endpoints, so at most half of them can
 * be benched, and a fast minority (a same-host replica) never benches the rest. Refreshed every
 * `n` picks: O(n log n) per refresh, amortised O(log n) per pick.
 */
export class SlowBench {
  readonly #benched: boolean[];
  #list: number[] = [];
  #picksSinceRefresh = 0;
  #cursor = 0;

  constructor(
    private readonly states: readonly BenchState[],
    private readonly options: SlowBenchOptions,
  ) {
    this.#benched = states.map(() => false);
    this.refresh();
  }

  /** Whether endpoint `index` is out of ordinary picks now. */
  isBenched(index: number): boolean {
    return this.#benched[index]!;
  }

  /** Indices of the benched endpoints (for introspection and tests). */
  get benched(): readonly number[] {
    return this.#list;
  }

  /**
   * Called once per pick: refreshes when due, then returns a benched endpoint whose probe is due
   * (idle, its interval and its picks passed, allowed by `allowed`), or -1. The caller sends the pick there.
   */
  beforePick(now: number, allowed: (index: number) => boolean): number {
    if (++this.#picksSinceRefresh >= this.states.length) this.refresh();
    const list = this.#list;
    if (list.length === 0) return -1;
    for (const benched of list) this.states[benched]!.picksSinceProbe++;
    // One candidate per pick, in turn: O(1), and every benched endpoint gets its probes.
    const index = list[this.#cursor++ % list.length]!;
    const state = this.states[index]!;
    const { probeIntervalMs, probeEvery } = this.options;
    if (state.inFlight > 0 || now - state.probedAt < probeIntervalMs || state.picksSinceProbe < probeEvery) return -1;
    if (!allowed(index)) return -1;
    state.probedAt = now;
    state.picksSinceProbe = 0;
    return index;
  }

  refresh(): void {
    this.#picksSinceRefresh = 0;
    const floors: number[] = [];
    for (const state of this.states) {
      const value = state.floor.value;
      if (value !== undefined) floors.push(value);
    }
    const list: number[] = [];
    if (floors.length >= 2) {
      floors.sort((a, b) => a - b);
      const median = floors[(floors.length - 1) >> 1]!;
      const limit = Math.max(median * this.options.slowFactor, median + this.options.slowMarginMs);
      this.states.forEach((state, index) => {
        const value = state.floor.value;
        if (value !== undefined && value > limit) list.push(index);
      });
    }
    this.#benched.fill(false);
    for (const index of list) this.#benched[index] = true;
    this.#list = list;
  }
}
