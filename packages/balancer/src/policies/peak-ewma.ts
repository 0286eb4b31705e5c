import { classify, type Clock, type Endpoint, type Random } from '@ballast/core';
import type {
  AttemptResult,
  InFlightCounter,
  InFlightCounts,
  Pick,
  Picker,
  PickRequest,
  Policy,
  PolicyFactory,
} from '../picker.js';
import type { PeakEwmaOptions } from '../policy-options.js';
import { EndpointStates } from './endpoint-states.js';
import { LatencyFloor, SlowBench, type BenchState } from './slow-bench.js';
import { twoChoices } from './two-choices.js';

/** Latency estimate of one endpoint: jumps up to a new peak at once, decays toward 0 with time. */
export class PeakEwmaEstimate implements BenchState {
  #estimate: number;
  #stamp: number;
  /** The endpoint's typical best latency, for the slow-endpoint bench. */
  readonly floor = new LatencyFloor();
  probedAt = Number.NEGATIVE_INFINITY;
  picksSinceProbe = Number.POSITIVE_INFINITY;
  constructor(
    defaultRttMs: number,
    now: number,
    private readonly decayMs: number,
    /** The endpoint's attempts in flight (the endpoint table's count under a balanced channel). */
    readonly counter: InFlightCounter = { inFlight: 0 },
  ) {
    this.#estimate = defaultRttMs;
    this.#stamp = now;
  }

  get inFlight(): number {
    return this.counter.inFlight;
  }

  /** The estimate at `now`, decayed since the last observation (it is not written back). */
  rttAt(now: number): number {
    const elapsed = now - this.#stamp;
    return elapsed > 0 ? this.#estimate * Math.exp(-elapsed / this.decayMs) : this.#estimate;
  }

  /** Cost as Finagle/Linkerd define it: latency estimate × (in-flight + 1). */
  costAt(now: number): number {
    return this.rttAt(now) * (this.counter.inFlight + 1);
  }

  /** A latency known only to be at least `rttMs`: raises the peak and the floor, never lowers them. */
  observeAtLeast(rttMs: number, now: number): void {
    if (rttMs > this.rttAt(now)) this.observe(rttMs, now);
    const floor = this.floor.value;
    if (floor === undefined || rttMs > floor) this.floor.observe(rttMs, now);
  }

  observe(rttMs: number, now: number): void {
    const elapsed = Math.max(0, now - this.#stamp);
    if (rttMs > this.#estimate) {
      this.#estimate = rttMs;
    } else {
      const decay = Math.exp(-elapsed / this.decayMs);
      this.#estimate = this.#estimate * decay + rttMs * (1 - decay);
    }
    this.#stamp = Math.max(this.#stamp, now);
  }
}

/**
 * Peak-EWMA (Finagle, Linkerd): power of two choices over latency × (in-flight + 1). A new
 * endpoint starts at `defaultRttMs`, not 0, so it is not flooded before it has answered once;
 * an endpoint that stops being picked decays toward 0 and so is tried again. An attempt whose
 * endpoint failed or was overloaded counts as at least `failurePenaltyMs`, otherwise a replica
 * that fails or sheds fast would look fastest; an overloaded one is steered away from, never
 * ejected.
 *
 * On its own that formula keeps sending a consistently slow replica a share of the attempts
 * under concurrency (see SlowBench): such a replica is benched and takes only budgeted probes.
 */
export const peakEwma: PolicyFactory<PeakEwmaOptions> = ({ clock, random, options, inFlight }): Policy => {
  const { defaultRttMs, decayMs, failurePenaltyMs, slowFactor, slowMarginMs, probeIntervalMs, probeEvery } = options;
  const bench = { slowFactor, slowMarginMs, probeIntervalMs, probeEvery };
  const states = new EndpointStates(
    (endpoint) => new PeakEwmaEstimate(defaultRttMs, clock.now(), decayMs, inFlight.counter(endpoint)),
  );
  return {
    name: 'peak-ewma',
    // The floor, not the peak estimate: a fast replica's stray slow answers (a GC pause, a stall
    // of the client itself) barely move it, so it tells a consistently slow replica apart.
    latencyMs: (endpointId) => states.get(endpointId)?.floor.value,
    picker: (endpoints) => {
      const snapshot = states.snapshot(endpoints);
      const slow = slowFactor > 0 ? new SlowBench(snapshot, bench) : undefined;
      return new PeakEwmaPicker(endpoints, snapshot, clock, random, failurePenaltyMs, inFlight, slow);
    },
  };
};

class PeakEwmaPicker implements Picker {
  #now = 0;
  // Built once: a closure per pick costs more than the pick itself.
  readonly #cost = (index: number): number => this.states[index]!.costAt(this.#now);
  readonly #benched = (index: number): boolean => this.bench!.isBenched(index);
  #exclude: ReadonlySet<string> = new Set();
  readonly #allowed = (index: number): boolean => !this.#exclude.has(this.endpoints[index]!.id);
  constructor(
    readonly endpoints: readonly Endpoint[],
    private readonly states: readonly PeakEwmaEstimate[],
    readonly clock: Clock,
    private readonly random: Random,
    readonly failurePenaltyMs: number,
    readonly counts: InFlightCounts,
    /** Slow endpoints out of ordinary picks; undefined when `slowFactor` is 0. */
    readonly bench: SlowBench | undefined,
  ) {}

  pick(request: PickRequest): Pick {
    this.#now = this.clock.now();
    const bench = this.bench;
    let index: number;
    if (bench === undefined || this.endpoints.length === 1) {
      index = twoChoices(this.endpoints, this.random, request.exclude, this.#cost);
    } else {
      this.#exclude = request.exclude;
      const probe = bench.beforePick(this.#now, this.#allowed);
      index = probe >= 0 ? probe : twoChoices(this.endpoints, this.random, request.exclude, this.#cost, this.#benched);
    }
    const state = this.states[index]!;
    this.counts.add(state.counter, 1);
    return new PeakEwmaPick(this.endpoints[index]!, state, this);
  }
}

class PeakEwmaPick implements Pick {
  #open = true;
  constructor(
    readonly endpoint: Endpoint,
    private readonly state: PeakEwmaEstimate,
    private readonly picker: PeakEwmaPicker,
  ) {}

  done(result: AttemptResult): void {
    if (!this.#open) return;
    this.#open = false;
    this.picker.counts.add(this.state.counter, -1);
    const signal = result.signal ?? classify(result.code);
    if (signal === 'cancelled') {
      // A cancelled attempt (a hedge that lost, a caller that gave up) did not fail, but it had
      // not answered either: its latency is at least what it ran. Under hedging that is all a
      // slow replica ever reports, so it counts where it raises the estimate, and nowhere else.
      this.state.observeAtLeast(result.latencyMs, this.picker.clock.now());
      return;
    }
    const penalty =
      signal === 'endpoint-failing' || signal === 'endpoint-overloaded' ? this.picker.failurePenaltyMs : 0;
    this.state.observe(Math.max(result.latencyMs, penalty), this.picker.clock.now());
    // The floor measures how fast the endpoint answers; failures and refusals are the detector's
    // and the penalty's business (a shedding replica must never be benched for shedding).
    if (penalty === 0) this.state.floor.observe(result.latencyMs, this.picker.clock.now());
  }
}
