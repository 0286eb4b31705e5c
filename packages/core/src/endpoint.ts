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

/** A bare "host:port" becomes an endpoint whose id is its address. */
export function toEndpoint(value: Endpoint | string): Endpoint {
  return typeof value === 'string' ? { id: value, address: value } : value;
}
