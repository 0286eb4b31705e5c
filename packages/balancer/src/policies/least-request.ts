import type { Endpoint, Random } from '@ballast/core';
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

/** Power of two choices over in-flight attempts, as Envoy's LEAST_REQUEST with choice_count 2. */
export const leastRequest: PolicyFactory = ({ random, inFlight }): Policy => {
  const states = new EndpointStates<InFlightCounter>((endpoint) => inFlight.counter(endpoint));
  return {
    name: 'least-request',
    picker: (endpoints) => new LeastRequestPicker(endpoints, states.snapshot(endpoints), random, inFlight),
  };
};

class LeastRequestPicker implements Picker {
  // Built once: a closure per pick costs more than the pick itself.
  readonly #cost = (index: number): number => this.states[index]!.inFlight;
  constructor(
    readonly endpoints: readonly Endpoint[],
    private readonly states: readonly InFlightCounter[],
    private readonly random: Random,
    private readonly counts: InFlightCounts,
  ) {}
  pick(request: PickRequest): Pick {
    const index = twoChoices(this.endpoints, this.random, request.exclude, this.#cost);
    const state = this.states[index]!;
    this.counts.add(state, 1);
    return new InFlightPick(this.endpoints[index]!, state, this.counts);
  }
}

class InFlightPick implements Pick {
  #open = true;
  constructor(
    readonly endpoint: Endpoint,
    private readonly state: InFlightCounter,
    private readonly counts: InFlightCounts,
  ) {}
  done(_result: AttemptResult): void {
    if (!this.#open) return;
    this.#open = false;
    this.counts.add(this.state, -1);
  }
}
