import type { Disposer } from '@ballast/core';
import { connection } from '@ballast/rpc';
import { clientReport, replicaOf, type ClientReport } from './client-report.js';
import type { ShopServiceName } from './shop-clients.js';

/** A change one caller's client saw: an endpoint's detector verdict, or a breaker's state. */
export interface Transition {
  /** Wall-clock ms: callers are other processes, so their moments are compared on the wall clock. */
  readonly at: number;
  readonly caller: string;
  readonly service: ShopServiceName;
  readonly kind: 'endpoint' | 'breaker';
  /** The replica (endpoint transitions) or the breaker's name. */
  readonly subject: string;
  readonly from: string;
  readonly to: string;
  readonly reason: string;
}

/** What a replica (or the gateway) reports about itself and every hop it calls. */
export interface ReplicaReport {
  readonly caller: string;
  readonly at: number;
  readonly clients: readonly ClientReport[];
  /** Its server's adaptive limit: calls accepted and shed so far (the gateway serves no gRPC). */
  readonly served: { readonly accepted: number; readonly rejected: number } | null;
  /** The latest transitions, oldest first. */
  readonly transitions: readonly Transition[];
}

const KEEP = 200;

/**
 * Follows the connect() clients of one caller: their state comes from the clients on each report;
 * only transitions are kept here, because a rate read once a second misses when they happened.
 */
export class ReplicaReporter {
  readonly #transitions: Transition[] = [];
  readonly #disposers: Disposer[] = [];
  readonly #breakersSeen = new Set<object>();

  constructor(
    readonly caller: string,
    private readonly clients: Partial<Record<ShopServiceName, object>>,
    private readonly served: () => { accepted: number; rejected: number } | undefined = () => undefined,
    private readonly now: () => number = Date.now,
  ) {
    for (const [service, client] of this.#entries()) {
      const detector = connection(client)?.detector;
      if (!detector) continue;
      this.#disposers.push(
        detector.onEndpointStateChange((change) =>
          this.#push({
            at: this.now(),
            caller,
            service,
            kind: 'endpoint',
            subject: replicaOf(change.endpoint.id),
            from: change.previous.type,
            to: change.current.type,
            reason: change.reason,
          }),
        ),
      );
    }
    this.#followBreakers();
  }

  report(): ReplicaReport {
    this.#followBreakers();
    const clients = this.#entries()
      .map(([service, client]) => clientReport(service, client))
      .filter((r): r is ClientReport => r !== undefined);
    const served = this.served();
    return {
      caller: this.caller,
      at: this.now(),
      clients,
      served: served ? { accepted: served.accepted, rejected: served.rejected } : null,
      transitions: [...this.#transitions],
    };
  }

  close(): void {
    for (const dispose of this.#disposers.splice(0)) dispose();
  }

  #entries(): [ShopServiceName, object][] {
    return Object.entries(this.clients).filter((e): e is [ShopServiceName, object] => e[1] !== undefined);
  }

  /** Method breakers appear on a method's first call: each is followed from the report after it. */
  #followBreakers(): void {
    for (const [service, client] of this.#entries()) {
      for (const breaker of connection(client)?.breakers?.breakers() ?? []) {
        if (this.#breakersSeen.has(breaker)) continue;
        this.#breakersSeen.add(breaker);
        this.#disposers.push(
          breaker.onStateChange((t) =>
            this.#push({
              at: this.now(),
              caller: this.caller,
              service,
              kind: 'breaker',
              subject: t.breaker,
              from: t.from,
              to: t.to,
              reason: t.reason,
            }),
          ),
        );
      }
    }
  }

  #push(transition: Transition): void {
    this.#transitions.push(transition);
    if (this.#transitions.length > KEEP) this.#transitions.shift();
  }
}
