/**
 * Endpoints where attempts of one logical call (same `ballast-call` token) are in flight, so a
 * hedged attempt is not sent to the replica it is hedging against. Entries live only while an
 * attempt of the call is in flight.
 */
export class CallSiblings {
  readonly #inFlight = new Map<string, Map<string, number>>();

  /** Endpoint ids busy with this call, or undefined when none. */
  busy(token: string): ReadonlyMap<string, number> | undefined {
    return this.#inFlight.get(token);
  }

  add(token: string, endpointId: string): void {
    let endpoints = this.#inFlight.get(token);
    if (!endpoints) this.#inFlight.set(token, (endpoints = new Map()));
    endpoints.set(endpointId, (endpoints.get(endpointId) ?? 0) + 1);
  }

  remove(token: string, endpointId: string): void {
    const endpoints = this.#inFlight.get(token);
    if (!endpoints) return;
    const count = (endpoints.get(endpointId) ?? 1) - 1;
    if (count > 0) endpoints.set(endpointId, count);
    else endpoints.delete(endpointId);
    if (endpoints.size === 0) this.#inFlight.delete(token);
  }

  get size(): number {
    return this.#inFlight.size;
  }
}
