import {
  Emitter,
  ENDPOINT_FAILURE_CODES,
  parseOptions,
  partLogger,
  systemScheduler,
  type CallOutcome,
  type Disposer,
  type Endpoint,
  type HealthView,
  type OutcomeListener,
  type Scheduler,
  type TimerHandle,
} from '@ballast/core';
import { z } from 'zod';
import { invalidRecoveryOption } from '../errors.js';
import { instrumentBreaker } from './instrument-breaker.js';
import { CircuitBreaker, circuitBreakerOptionsSchema, type BreakerTransition } from './circuit-breaker.js';
import { clockSchema, failureCodesSchema, registrySchema } from '../option-schemas.js';

export const endpointBreakersOptionsSchema = z.strictObject({
  // No clock default here: the breakers' clock is the scheduler's unless one is given.
  breaker: circuitBreakerOptionsSchema
    .omit({ name: true, clock: true })
    .extend({ clock: clockSchema.optional() })
    .optional(),
  failureCodes: failureCodesSchema.default([...ENDPOINT_FAILURE_CODES]),
  registry: z.union([registrySchema, z.literal(false)]).optional(),
  /** Time and timers: the breakers' clock (unless `breaker.clock` is given) and the half-open wake-ups. */
  scheduler: z
    .custom<Scheduler>((v) => typeof v === 'object' && v !== null && 'setTimeout' in v)
    .describe('a Scheduler')
    .optional(),
});
export type EndpointBreakersOptions = z.input<typeof endpointBreakersOptionsSchema>;

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
  const o = parseOptions(endpointBreakersOptionsSchema, options, 'endpointBreakers', { error: invalidRecoveryOption });
  const breakers = new Map<string, CircuitBreaker>();
  const scheduler = o.scheduler ?? systemScheduler;
  // One logger for the set; each endpoint's breaker is a part of its own under the caller's logger
  // (or this set's), bound to its endpoint.
  const logger = partLogger('recovery', 'endpoint-breakers', o.breaker?.logger);
  const breakerParent = o.breaker?.logger ?? logger;
  const breakerOptions = { clock: scheduler, ...o.breaker };
  // Listeners run inside record(), on the call path: one that throws must not fail the call.
  const changes = new Emitter<void>('endpoint breakers change', logger);
  const transitions = new Emitter<BreakerTransition & { endpointId: string }>('endpoint breaker transition', logger);
  const timers = new Set<TimerHandle>();
  /** Probes admitted and not yet ended, per endpoint. */
  const probing = new Map<string, number>();
  // Breakers are made per endpoint on first outcome; their options are checked now.
  new CircuitBreaker({ ...breakerOptions, logger, name: 'endpoint:(options check)' });
  const disposers: Disposer[] = [];
  let closed = false;

  // The balancer rebuilds its picker only on onChange, so half-opening needs a wake-up. Timers may
  // fire a little early by the breaker's clock: then sleep again for the rest.
  const wakeWhenHalfOpen = (b: CircuitBreaker) => {
    if (closed) return;
    const timer = scheduler.setTimeout(
      () => {
        timers.delete(timer);
        // Reading the state half-opens it; the transition notifies (once, even if read earlier).
        if (b.state.type === 'open') wakeWhenHalfOpen(b);
      },
      Math.max(1, Math.ceil(b.msUntilHalfOpen() ?? 0)),
      { unref: true },
    );
    timers.add(timer);
  };

  const breaker = (endpointId: string) => {
    let existing = breakers.get(endpointId);
    if (existing) return existing;
    const created = new CircuitBreaker({
      ...breakerOptions,
      logger: breakerParent.child({ endpoint: endpointId }),
      name: `endpoint:${endpointId}`,
    });
    if (o.registry !== false) disposers.push(instrumentBreaker(created, o.registry));
    created.onStateChange((transition) => {
      transitions.emit({ ...transition, endpointId });
      changes.emit();
      if (transition.to === 'open') wakeWhenHalfOpen(created);
    });
    breakers.set(endpointId, created);
    existing = created;
    return existing;
  };

  return {
    eligible(endpoints: readonly Endpoint[]) {
      return endpoints.filter((endpoint) => breakers.get(endpoint.id)?.state.type !== 'open');
    },
    onChange(listener) {
      return changes.on(listener);
    },
    admit(endpointId: string) {
      const b = breakers.get(endpointId);
      if (b === undefined) return true;
      const kind = b.state.type;
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
      return transitions.on(listener);
    },
    close() {
      closed = true;
      for (const timer of timers) scheduler.clearTimeout(timer);
      timers.clear();
      disposers.splice(0).forEach((dispose) => dispose());
    },
  };
}
