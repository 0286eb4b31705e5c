import type { Endpoint, Random } from '@ballast/core';
import type { AttemptResult, Pick, Picker, PickRequest, Policy, PolicyFactory } from '../picker.js';
import { EndpointStates } from './endpoint-states.js';
import { twoChoices } from './two-choices.js';

interface LeastRequestState {
  inFlight: number;
}

/** Power of two choices over in-flight attempts, as Envoy's LEAST_REQUEST with choice_count 2. */
export const leastRequest: PolicyFactory = ({ random }): Policy => {
  const states = new EndpointStates<LeastRequestState>(() => ({ inFlight: 0 }));
  return {
    name: 'least-request',
    picker: (endpoints) => new LeastRequestPicker(endpoints, states.snapshot(endpoints), random),
  };
};

class LeastRequestPicker implements Picker {
  // Built once: a closure per pick costs more than the pick itself.
  readonly #cost = (index: number): number => this.states[index]!.inFlight;
  constructor(
    readonly endpoints: readonly Endpoint[],
    private readonly states: readonly LeastRequestState[],
    private readonly random: Random,
  ) {}
  pick(request: PickRequest): Pick {
    const index = twoChoices(this.endpoints, this.random, request.exclude, this.#cost);
    const state = this.states[index]!;
    state.inFlight++;
    return new InFlightPick(this.endpoints[index]!, state);
  }
}

class InFlightPick implements Pick {
  #open = true;
  constructor(
    readonly endpoint: Endpoint,
    private readonly state: LeastRequestState,
  ) {}
  done(_result: AttemptResult): void {
    if (!this.#open) return;
    this.#open = false;
    this.state.inFlight--;
  }
}
