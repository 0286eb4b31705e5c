import { Emitter } from './emitter.js';
import type { Disposer } from './disposer.js';
import type { Endpoint } from './endpoint.js';

/**
 * The current endpoints and who listens for changes: the bookkeeping every EndpointSource shares.
 * `subscribe` calls the listener at once with the current list, as EndpointSource requires.
 */
export class EndpointPublisher {
  #endpoints: readonly Endpoint[];
  // A balancer, a detector and a metrics hook may all follow one source: one that throws must not
  // keep the others from hearing of the change.
  readonly #listeners = new Emitter<readonly Endpoint[]>('endpoints change');

  constructor(initial: readonly Endpoint[] = []) {
    this.#endpoints = initial;
  }

  current(): readonly Endpoint[] {
    return this.#endpoints;
  }

  subscribe(listener: (endpoints: readonly Endpoint[]) => void): Disposer {
    const dispose = this.#listeners.on(listener);
    listener(this.#endpoints);
    return dispose;
  }

  /** Replaces the list and tells every listener (a listener may unsubscribe while being told). */
  publish(endpoints: readonly Endpoint[]): void {
    this.#endpoints = endpoints;
    this.#listeners.emit(endpoints);
  }

  /** Forgets every listener, e.g. when the source closes. */
  clear(): void {
    this.#listeners.clear();
  }
}
