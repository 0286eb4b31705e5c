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
  constructor(
    readonly endpoints: readonly Endpoint[],
    private readonly states: readonly LeastRequestState[],
    private readonly random: Random,
  ) {}
  pick(request: PickRequest): Pick {
    const index = twoChoices(this.endpoints, this.random, request.exclude, (i) => this.states[i]!.inFlight);
    const state = this.states[index]!;
    state.inFlight++;
    return {
      endpoint: this.endpoints[index]!,
      done: (_result: AttemptResult) => {
        state.inFlight--;
      },
    };
  }
}
