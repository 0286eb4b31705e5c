import type { Endpoint } from '@ballast/core';
import { firstAllowed } from '../exclude.js';
import { plainPick, type Pick, type Picker, type PickRequest, type Policy, type PolicyFactory } from '../picker.js';

/**
 * Round-robin: each picker starts at a random offset (so many clients rebuilt at once do not all
 * hit the first endpoint) and then rotates exactly.
 */
export const roundRobin: PolicyFactory = ({ random }): Policy => ({
  name: 'round-robin',
  picker: (endpoints) => new RoundRobinPicker(endpoints, Math.floor(random() * endpoints.length)),
});

export class RoundRobinPicker implements Picker {
  readonly #picks: readonly Pick[];
  #next: number;
  constructor(
    readonly endpoints: readonly Endpoint[],
    start = 0,
  ) {
    this.#picks = endpoints.map(plainPick);
    this.#next = start % endpoints.length;
  }
  pick(request: PickRequest): Pick {
    const index = firstAllowed(this.endpoints, this.#next, request.exclude);
    this.#next = (index + 1) % this.endpoints.length;
    return this.#picks[index]!;
  }
}
