import { Counter, Gauge, register as defaultRegistry, type Registry } from 'prom-client';
import type { CircuitBreaker } from './circuit-breaker.js';
import type { Disposer } from '@ballast/core';

const STATE_VALUE = { closed: 0, 'half-open': 1, open: 2 } as const;

interface BreakerMetrics {
  state: Gauge<'breaker'>;
  transitions: Counter<'breaker' | 'to'>;
  rejected: Counter<'breaker'>;
}

const byRegistry = new WeakMap<Registry, BreakerMetrics>();

function metricsFor(registry: Registry): BreakerMetrics {
  let metrics = byRegistry.get(registry);
  if (!metrics) {
    metrics = {
      state: new Gauge({
        name: 'ballast_breaker_state',
        help: 'Circuit breaker state: 0 closed, 1 half-open, 2 open',
        labelNames: ['breaker'],
        registers: [registry],
      }),
      transitions: new Counter({
        name: 'ballast_breaker_transitions_total',
        help: 'Circuit breaker state transitions',
        labelNames: ['breaker', 'to'],
        registers: [registry],
      }),
      rejected: new Counter({
        name: 'ballast_breaker_rejected_total',
        help: 'Calls a circuit breaker failed fast',
        labelNames: ['breaker'],
        registers: [registry],
      }),
    };
    byRegistry.set(registry, metrics);
  }
  return metrics;
}

/** Exposes a breaker's state, transitions and rejections as prom-client metrics. */
export function instrumentBreaker(breaker: CircuitBreaker, registry: Registry = defaultRegistry): Disposer {
  const metrics = metricsFor(registry);
  metrics.state.set({ breaker: breaker.name }, STATE_VALUE[breaker.state.type]);
  const offChange = breaker.onStateChange((event) => {
    metrics.state.set({ breaker: breaker.name }, STATE_VALUE[event.to]);
    metrics.transitions.inc({ breaker: breaker.name, to: event.to });
  });
  const offReject = breaker.onReject(() => metrics.rejected.inc({ breaker: breaker.name }));
  return () => {
    offChange();
    offReject();
  };
}
