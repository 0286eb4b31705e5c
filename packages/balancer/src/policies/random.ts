import type { Endpoint, Random } from '@ballast/core';
import { firstAllowed } from '../exclude.js';
import { plainPick, type Pick, type Picker, type PickRequest, type Policy, type PolicyFactory } from '../picker.js';

/** Uniform random choice: no state at all, a baseline to compare the others with. */
export const randomPolicy: PolicyFactory = ({ random }): Policy => ({
  name: 'random',
  picker: (endpoints) => new RandomPicker(endpoints, random),
});

class RandomPicker implements Picker {
  readonly #picks: readonly Pick[];
  constructor(
    readonly endpoints: readonly Endpoint[],
    private readonly random: Random,
  ) {
    this.#picks = endpoints.map(plainPick);
  }
  pick(request: PickRequest): Pick {
    const index = Math.floor(this.random() * this.endpoints.length);
    return this.#picks[firstAllowed(this.endpoints, index, request.exclude)]!;
  }
}
