import { BallastError } from './ballast-error.js';
import { EndpointPublisher } from './endpoint-publisher.js';

/** One process instance that serves calls. `id` is stable for the life of that instance. */
export interface Endpoint {
  readonly id: string;
  /** host:port as grpc-js understands it. */
  readonly address: string;
  /** Relative share of traffic for weighted policies; default 1. */
  readonly weight?: number;
  readonly zone?: string;
  readonly metadata?: Readonly<Record<string, string>>;
}

/** Releases a subscription, timer or resource; calling it twice is harmless. */
export type Disposer = () => void;

/**
 * Publishes the current endpoints and every later change: a static list, or a watch on the
 * registry. `subscribe` calls the listener at once with the current list.
 */
export interface EndpointSource {
  current(): readonly Endpoint[];
  subscribe(listener: (endpoints: readonly Endpoint[]) => void): Disposer;
  close?(): void | Promise<void>;
}

/** An endpoint list a source or a caller gave is unusable; the message names the bad entry. */
export class InvalidEndpointError extends BallastError {
  constructor(message: string) {
    super('INVALID_ENDPOINT', message);
  }
}

/** Checks ids are unique and addresses look like host:port; throws naming the bad entry. */
export function validateEndpoints(endpoints: readonly Endpoint[]): readonly Endpoint[] {
  const seen = new Set<string>();
  for (const endpoint of endpoints) {
    if (!endpoint.id) throw new InvalidEndpointError(`endpoint ${JSON.stringify(endpoint)} has no id`);
    if (seen.has(endpoint.id)) {
      throw new InvalidEndpointError(`duplicate endpoint id "${endpoint.id}": every endpoint needs its own id`);
    }
    seen.add(endpoint.id);
    if (!/^(\[[0-9a-fA-F:.]+\]|[^:\s]+):\d{1,5}$/.test(endpoint.address) && !endpoint.address.startsWith('unix:')) {
      throw new InvalidEndpointError(
        `endpoint "${endpoint.id}" has address "${endpoint.address}": expected host:port or unix:path`,
      );
    }
    if (endpoint.weight !== undefined && !(Number.isFinite(endpoint.weight) && endpoint.weight >= 0)) {
      throw new InvalidEndpointError(
        `endpoint "${endpoint.id}" has weight ${endpoint.weight}: weights are finite and >= 0`,
      );
    }
  }
  return endpoints;
}

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

/** A bare "host:port" becomes an endpoint whose id is its address. */
export function toEndpoint(value: Endpoint | string): Endpoint {
  return typeof value === 'string' ? { id: value, address: value } : value;
}
