import {
  ENDPOINT_FAILURE_CODES,
  type CallOutcome,
  type Disposer,
  type Endpoint,
  type HealthView,
  type OutcomeListener,
} from '@ballast/core';
import type { Registry } from 'prom-client';
import { z } from 'zod';
import { instrumentBreaker } from './breaker-metrics.js';
import { CircuitBreaker, type BreakerTransition, type CircuitBreakerOptions } from './circuit-breaker.js';
import { failureCodesSchema, parseOptions } from './parse-options.js';

export const endpointBreakersOptionsSchema = z.object({
  breaker: z.custom<Omit<CircuitBreakerOptions, 'name'>>((v) => typeof v === 'object' && v !== null).optional(),
  failureCodes: failureCodesSchema.default([...ENDPOINT_FAILURE_CODES]),
  registry: z.union([z.custom<Registry>((v) => typeof v === 'object' && v !== null), z.literal(false)]).optional(),
});
export type EndpointBreakersOptions = z.input<typeof endpointBreakersOptionsSchema>;

const ALLOWED = {
  breaker: 'CircuitBreaker options without name',
  failureCodes: 'gRPC status codes 0–16, without RESOURCE_EXHAUSTED (8): shedding is never a failure',
  registry: 'a prom-client Registry or false',
};

/**
 * A circuit breaker per endpoint, seen by the balancer as a HealthView: an endpoint whose breaker
 * is open is not eligible, so the balancer skips it; once it half-opens it is eligible again, and
 * `admit` lets only the breaker's `halfOpenProbes` attempts through at once, the others going to
 * other endpoints. Feed it every attempt's outcome through `record`; only the taxonomy's
 * `endpoint-failing` outcomes count against an endpoint, cancelled and overloaded ones not at all.
 */
export interface EndpointBreakers extends HealthView {
  /** OutcomeListener: pass it to the balanced channel's outcome hook. */
  record: OutcomeListener;
  breaker(endpointId: string): CircuitBreaker;
  onStateChange(listener: (transition: BreakerTransition & { endpointId: string }) => void): Disposer;
  /** Clears timers and metric hooks. */
  close(): void;
}

export function createEndpointBreakers(options: EndpointBreakersOptions = {}): EndpointBreakers {
  const o = parseOptions(endpointBreakersOptionsSchema, options, 'endpointBreakers', ALLOWED);
  const breakers = new Map<string, CircuitBreaker>();
  const changeListeners = new Set<() => void>();
  const stateListeners = new Set<(transition: BreakerTransition & { endpointId: string }) => void>();
  const timers = new Set<NodeJS.Timeout>();
  /** Probes admitted and not yet ended, per endpoint. */
  const probing = new Map<string, number>();
  // Breakers are made per endpoint on first outcome; their options are checked now.
  new CircuitBreaker({ ...o.breaker, name: 'endpoint:(options check)' });
  const disposers: Disposer[] = [];
  let closed = false;

  const notify = () => {
    for (const listener of changeListeners) listener();
  };

  // The balancer rebuilds its picker only on onChange, so half-opening needs a wake-up. Timers may
  // fire a little early by the breaker's clock: then sleep again for the rest.
  const wakeWhenHalfOpen = (b: CircuitBreaker) => {
    if (closed) return;
    const timer = setTimeout(
      () => {
        timers.delete(timer);
        // Reading the state half-opens it; the transition notifies (once, even if read earlier).
        if (b.state.kind === 'open') wakeWhenHalfOpen(b);
      },
      Math.max(1, Math.ceil(b.msUntilHalfOpen() ?? 0)),
    );
    timer.unref();
    timers.add(timer);
  };

  const breaker = (endpointId: string) => {
    let existing = breakers.get(endpointId);
    if (existing) return existing;
    const created = new CircuitBreaker({ ...o.breaker, name: `endpoint:${endpointId}` });
    if (o.registry !== false) disposers.push(instrumentBreaker(created, o.registry));
    created.onStateChange((transition) => {
      for (const listener of stateListeners) listener({ ...transition, endpointId });
      notify();
      if (transition.to === 'open') wakeWhenHalfOpen(created);
    });
    breakers.set(endpointId, created);
    existing = created;
    return existing;
  };

  return {
    eligible(endpoints: readonly Endpoint[]) {
      return endpoints.filter((endpoint) => breakers.get(endpoint.id)?.state.kind !== 'open');
    },
    onChange(listener) {
      changeListeners.add(listener);
      return () => changeListeners.delete(listener);
    },
    admit(endpointId: string) {
      const b = breakers.get(endpointId);
      if (b === undefined) return true;
      const kind = b.state.kind;
      if (kind === 'closed') return true;
      if (kind === 'open' || !b.tryAcquire().allowed) return false;
      probing.set(endpointId, (probing.get(endpointId) ?? 0) + 1);
      return true;
    },
    record(outcome: CallOutcome) {
      const id = outcome.endpointId;
      const probes = probing.get(id) ?? 0;
      const probe = probes > 0;
      if (probe) {
        if (probes === 1) probing.delete(id);
        else probing.set(id, probes - 1);
      }
      const signal = outcome.signal;
      if (!probe && (signal === 'cancelled' || signal === 'endpoint-overloaded')) return;
      const b = breaker(id);
      // A probe must end; one that was cancelled or refused for load proves nothing either way,
      // and counts as a success only so the breaker does not stay half-open with no probe left.
      b.record(!o.failureCodes.includes(outcome.code) || signal === 'cancelled', probe);
    },
    breaker,
    onStateChange(listener) {
      stateListeners.add(listener);
      return () => stateListeners.delete(listener);
    },
    close() {
      closed = true;
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      disposers.splice(0).forEach((dispose) => dispose());
    },
  };
}
