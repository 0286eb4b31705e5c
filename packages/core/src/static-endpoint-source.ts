import type { Disposer } from './disposer.js';
import { toEndpoint, type Endpoint } from './endpoint.js';
import { EndpointPublisher } from './endpoint-publisher.js';
import type { EndpointSource } from './endpoint-source.js';
import { validateEndpoints } from './validate-endpoints.js';

/** A source whose list only changes when `set` is called. */
export class StaticEndpointSource implements EndpointSource {
  readonly #publisher: EndpointPublisher;

  constructor(endpoints: readonly (Endpoint | string)[]) {
    this.#publisher = new EndpointPublisher(validateEndpoints(endpoints.map(toEndpoint)));
  }

  current(): readonly Endpoint[] {
    return this.#publisher.current();
  }

  set(endpoints: readonly (Endpoint | string)[]): void {
    this.#publisher.publish(validateEndpoints(endpoints.map(toEndpoint)));
  }

  subscribe(listener: (endpoints: readonly Endpoint[]) => void): Disposer {
    return this.#publisher.subscribe(listener);
  }
}
