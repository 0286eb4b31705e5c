import { Counter, Gauge, Histogram, Registry, type Metric } from 'prom-client';

/**
 * The registry Ballast packages add their metrics to; `serveMetrics` exposes it together with
 * nice-grpc-prometheus's registry (the standard grpc_client_* / grpc_server_* RPC metrics).
 */
export const metricsRegistry = new Registry();

/** Picks counted since each picks counter was last read. */
const PENDING_PICKS = new WeakMap<object, Map<string, number>>();

export interface DetectorMetrics {
  readonly registry: Registry;
  /** 1 for the endpoint's current state label ("up", "down:heartbeat-timeout", "ejected:success-rate"…). */
  readonly endpointState: Gauge<'endpoint' | 'state'>;
  readonly ejections: Counter<'endpoint' | 'reason'>;
  readonly phi: Gauge<'endpoint'>;
  readonly heartbeatRtt: Histogram<'endpoint'>;
  /** Attempts the balancer sent to each endpoint (one per reported outcome); read it through the registry. */
  readonly picks: Counter<'endpoint'>;
  /** Counts one attempt on `endpoint` (cheap: folded into `picks` when the registry is read). */
  countPick(endpoint: string): void;
  /** Per detector (`target`: the service it watches), so several detectors can share a registry. */
  readonly healthyEndpoints: Gauge<'target'>;
  readonly endpoints: Gauge<'target'>;
  /** 1 while the healthy share is below the panic threshold and every endpoint is eligible. */
  readonly panic: Gauge<'target'>;
}

/**
 * Detector metrics on `registry`. Metrics already registered there under these names are reused,
 * so several detectors can share one registry.
 */
export function createDetectorMetrics(registry: Registry = metricsRegistry): DetectorMetrics {
  const get = <M extends Metric>(name: string, make: () => M): M =>
    (registry.getSingleMetric(name) as M | undefined) ?? make();
  const registers = [registry];
  // Every attempt counts a pick: the counts wait in a plain map and reach the counter when it is
  // read, rather than paying prom-client's label hashing on the call path.
  const picks = get(
    'ballast_endpoint_picks_total',
    () =>
      new Counter({
        name: 'ballast_endpoint_picks_total',
        help: 'Call attempts sent to each endpoint.',
        labelNames: ['endpoint'],
        registers,
        collect() {
          const pending = PENDING_PICKS.get(this);
          if (!pending) return;
          for (const [endpoint, n] of pending) this.inc({ endpoint }, n);
          pending.clear();
        },
      }),
  );
  let pendingPicks = PENDING_PICKS.get(picks);
  if (!pendingPicks) PENDING_PICKS.set(picks, (pendingPicks = new Map()));
  return {
    registry,
    endpointState: get(
      'ballast_endpoint_state',
      () =>
        new Gauge({
          name: 'ballast_endpoint_state',
          help: 'Detector state of each endpoint: 1 for the current state label.',
          labelNames: ['endpoint', 'state'],
          registers,
        }),
    ),
    ejections: get(
      'ballast_endpoint_ejections_total',
      () =>
        new Counter({
          name: 'ballast_endpoint_ejections_total',
          help: 'Outlier ejections by endpoint and reason.',
          labelNames: ['endpoint', 'reason'],
          registers,
        }),
    ),
    phi: get(
      'ballast_endpoint_phi',
      () =>
        new Gauge({
          name: 'ballast_endpoint_phi',
          help: 'Phi-accrual suspicion of each endpoint.',
          labelNames: ['endpoint'],
          registers,
        }),
    ),
    heartbeatRtt: get(
      'ballast_heartbeat_rtt_seconds',
      () =>
        new Histogram({
          name: 'ballast_heartbeat_rtt_seconds',
          help: 'Round trip of grpc.health.v1 Check heartbeats.',
          labelNames: ['endpoint'],
          buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
          registers,
        }),
    ),
    picks,
    countPick(endpoint) {
      pendingPicks.set(endpoint, (pendingPicks.get(endpoint) ?? 0) + 1);
    },
    healthyEndpoints: get(
      'ballast_endpoints_healthy',
      () =>
        new Gauge({
          name: 'ballast_endpoints_healthy',
          help: 'Endpoints neither down nor ejected.',
          labelNames: ['target'],
          registers,
        }),
    ),
    endpoints: get(
      'ballast_endpoints',
      () =>
        new Gauge({
          name: 'ballast_endpoints',
          help: 'Endpoints known to the detector.',
          labelNames: ['target'],
          registers,
        }),
    ),
    panic: get(
      'ballast_panic_mode',
      () =>
        new Gauge({
          name: 'ballast_panic_mode',
          help: '1 while too few endpoints are healthy and calls go to all of them.',
          labelNames: ['target'],
          registers,
        }),
    ),
  };
}
