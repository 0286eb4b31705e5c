import type { Disposer, Endpoint } from './endpoint.js';

/**
 * The current endpoints and who listens for changes: the bookkeeping every EndpointSource shares.
 * `subscribe` calls the listener at once with the current list, as EndpointSource requires.
 */
export class EndpointPublisher {
  #endpoints: readonly Endpoint[];
  readonly #listeners = new Set<(endpoints: readonly Endpoint[]) => void>();

  constructor(initial: readonly Endpoint[] = []) {
    this.#endpoints = initial;
  }

  current(): readonly Endpoint[] {
    return this.#endpoints;
  }

  subscribe(listener: (endpoints: readonly Endpoint[]) => void): Disposer {
    this.#listeners.add(listener);
    listener(this.#endpoints);
    return () => this.#listeners.delete(listener);
  }

  /** Replaces the list and tells every listener (a listener may unsubscribe while being told). */
  publish(endpoints: readonly Endpoint[]): void {
    this.#endpoints = endpoints;
    for (const listener of [...this.#listeners]) listener(endpoints);
  }

  /** Forgets every listener, e.g. when the source closes. */
  clear(): void {
    this.#listeners.clear();
  }
}
