import type { Endpoint } from '@ballast/core';

/**
 * Per-endpoint mutable state that outlives pickers: a rebuilt picker keeps the counters of the
 * endpoints it still has, and state of endpoints that left is dropped (an in-flight attempt on
 * one still holds its object, so its `done` stays harmless).
 */
export class EndpointStates<S> {
  readonly #states = new Map<string, S>();
  constructor(private readonly create: (endpoint: Endpoint) => S) {}

  snapshot(endpoints: readonly Endpoint[]): readonly S[] {
    const keep = new Set<string>();
    const list = endpoints.map((endpoint) => {
      keep.add(endpoint.id);
      let state = this.#states.get(endpoint.id);
      if (!state) {
        state = this.create(endpoint);
        this.#states.set(endpoint.id, state);
      }
      return state;
    });
    for (const id of this.#states.keys()) if (!keep.has(id)) this.#states.delete(id);
    return list;
  }

  get(id: string): S | undefined {
    return this.#states.get(id);
  }
}
