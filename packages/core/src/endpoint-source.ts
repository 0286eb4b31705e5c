import type { Disposer } from './disposer.js';
import type { Endpoint } from './endpoint.js';

/**
 * Publishes the current endpoints and every later change: a static list, or a watch on the
 * registry. `subscribe` calls the listener at once with the current list.
 */
export interface EndpointSource {
  current(): readonly Endpoint[];
  subscribe(listener: (endpoints: readonly Endpoint[]) => void): Disposer;
  close?(): void | Promise<void>;
}
