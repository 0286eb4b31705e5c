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
import { EndpointStates } from './endpoint-states.js';
import { twoChoices } from './two-choices.js';

/** Latency estimate of one endpoint: jumps up to a new peak at once, decays toward 0 with time. */
export class PeakEwmaEstimate {
  #estimate: number;
  #stamp: number;
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

  /** The estimate at `now`, decayed since the last observation (it is not written back). */
  rttAt(now: number): number {
    const elapsed = now - this.#stamp;
    return elapsed > 0 ? this.#estimate * Math.exp(-elapsed / this.decayMs) : this.#estimate;
  }

  /** Cost as Finagle/Linkerd define it: latency estimate × (in-flight + 1). */
  costAt(now: number): number {
    return this.rttAt(now) * (this.counter.inFlight + 1);
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
 */
export const peakEwma: PolicyFactory = ({ clock, random, options, inFlight }): Policy => {
  const { defaultRttMs, decayMs, failurePenaltyMs } = options;
  const states = new EndpointStates(
    (endpoint) => new PeakEwmaEstimate(defaultRttMs, clock.now(), decayMs, inFlight.counter(endpoint)),
  );
  return {
    name: 'peak-ewma',
    picker: (endpoints) =>
      new PeakEwmaPicker(endpoints, states.snapshot(endpoints), clock, random, failurePenaltyMs, inFlight),
  };
};

class PeakEwmaPicker implements Picker {
  #now = 0;
  // Built once: a closure per pick costs more than the pick itself.
  readonly #cost = (index: number): number => this.states[index]!.costAt(this.#now);
  constructor(
    readonly endpoints: readonly Endpoint[],
    private readonly states: readonly PeakEwmaEstimate[],
    readonly clock: Clock,
    private readonly random: Random,
    readonly failurePenaltyMs: number,
    readonly counts: InFlightCounts,
  ) {}

  pick(request: PickRequest): Pick {
    this.#now = this.clock.now();
    const index = twoChoices(this.endpoints, this.random, request.exclude, this.#cost);
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
    // A cancelled attempt (a hedge that lost, a caller that gave up) says nothing about the endpoint.
    const signal = result.signal ?? classify(result.code);
    if (signal === 'cancelled') return;
    const penalty =
      signal === 'endpoint-failing' || signal === 'endpoint-overloaded' ? this.picker.failurePenaltyMs : 0;
    this.state.observe(Math.max(result.latencyMs, penalty), this.picker.clock.now());
  }
}
