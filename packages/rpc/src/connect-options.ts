import type { PolicyFactory, PolicyName, PolicyOptionsInput, SlowStartOptionsInput } from '@ballast/balancer';
import type { DnsSourceOptions, KvStore } from '@ballast/config';
import type { Clock, Endpoint, EndpointSource, Logger, Random } from '@ballast/core';
import type { HeartbeatOptionsInput, OutlierOptionsInput } from '@ballast/detector';
import type {
  BreakerMiddlewareOptions,
  EndpointBreakersOptions,
  HedgingOptions,
  RetryMiddlewareOptions,
} from '@ballast/recovery';
import type { ChannelCredentials } from '@grpc/grpc-js';
import type { ClientTlsOptions } from './tls.js';

/** Overrides for one method (by its camelCase name in the generated client). */
export interface MethodOverrides {
  /** Deadline of each call of this method, ms from its start. */
  deadlineMs?: number;
  /** false: never retry this method; true: retry even if the proto does not mark it idempotent. */
  retry?: boolean;
  /** Attempts after the first, for this method. */
  maxRetries?: number;
  /** Hedge this method's calls (needs `hedging` options on the client). */
  hedge?: boolean;
  /** A different balancing policy for this method (e.g. ring-hash for a session-bound read). */
  balancer?: PolicyName | PolicyFactory;
  balancerOptions?: PolicyOptionsInput;
}

export interface ConnectOptions {
  /** Fixed endpoints ("host:port" or Endpoint objects) or any EndpointSource. */
  endpoints?: readonly (Endpoint | string)[] | EndpointSource;
  /**
   * Find endpoints in the registry of `store` under this service name, and follow changes; or,
   * with a `dns:` target (`dns:///name:port`, `dns://server:53/name:port`,
   * `dns:///_grpc._tcp.name` for SRV), in DNS, with no store.
   */
  discover?: string;
  /** DNS discovery's re-resolution interval, resolver and servers (with `discover: "dns:…"`). */
  dns?: Omit<DnsSourceOptions, 'logger'>;
  store?: KvStore;
  /** Balancing policy (default 'peak-ewma'). */
  balancer?: PolicyName | PolicyFactory;
  balancerOptions?: PolicyOptionsInput;
  /**
   * Active grpc.health.v1 checks on each replica's connection (default on): a Watch stream for
   * status, and a Check only when the replica has been silent — 400 ms with calls waiting on it,
   * 2 s without — unanswered within 450 ms, it is down. `{ mode: 'poll', intervalMs }` Checks
   * every interval instead. false turns them off.
   */
  healthCheck?: HeartbeatOptionsInput | false;
  /**
   * Connect to a subset of the replicas only (default on, 32 members; false: connect to all).
   * `clientId` fixes which subset (default: random per process; rendezvous hashing keeps each
   * client's subset stable and moves only what replica churn forces). Members that are down or
   * ejected are replaced, so the healthy part keeps its size; one seen down keeps its place for
   * `holdDownMs` first (default 10 000; 0: replace at once), unless more than a quarter of the
   * subset is down, so a replica that misses a probe while starved of CPU is not swapped out.
   */
  subset?: { size?: number; clientId?: string; holdDownMs?: number } | false;
  /**
   * This client's zone (default: the BALLAST_ZONE environment variable, which a Kubernetes pod
   * takes from its node's topology.kubernetes.io/zone label). Calls stay in the zone while
   * enough of it is healthy and spill to the others by Envoy's overprovisioning rule.
   */
  zone?: string;
  /** Ramp new or returning replicas up to their share (Envoy's slow start; default on, 10 s window). */
  slowStart?: SlowStartOptionsInput | false;
  /** Passive outlier ejection (default on); false turns it off. */
  outlierDetection?: OutlierOptionsInput | false;
  /** Healthy share below which all endpoints take calls (default 0.5). */
  panicThreshold?: number;
  /** Retries with budget and failover (default on); false turns them off. */
  retry?: RetryMiddlewareOptions | false;
  /** Hedged requests for idempotent methods (default off). */
  hedging?: HedgingOptions | false;
  /** Per-method circuit breakers (default on: opens at ≥ 50 % gateway errors, not counting load shedding, over 10 s with ≥ 20 calls); false turns them off. */
  circuitBreaker?: BreakerMiddlewareOptions | false;
  /** Per-endpoint circuit breakers (default off: outlier detection covers endpoints). */
  endpointBreakers?: EndpointBreakersOptions | false;
  /** Deadline of every call that sets none, ms (default 5000). */
  deadlineMs?: number;
  /** Client-side RPC metrics (nice-grpc-prometheus names; default on). */
  metrics?: boolean;
  /**
   * OpenTelemetry spans per call and per attempt, with W3C trace context on the wire (default on;
   * free until an OpenTelemetry SDK registers a TracerProvider).
   */
  tracing?: boolean;
  /** TLS or mTLS to the servers; or pass `credentials` directly. */
  tls?: ClientTlsOptions;
  credentials?: ChannelCredentials;
  /** Largest message sent or received (default 4 MiB). */
  maxMessageBytes?: number;
  /**
   * HTTP/2 keepalive pings on each replica's connection (default `{ timeMs: 30000, timeoutMs:
   * 10000, withoutCalls: true }`): a connection whose peer stops answering is closed and
   * reconnected, also while idle. `false` turns pings off.
   */
  keepalive?: { timeMs?: number; timeoutMs?: number; withoutCalls?: boolean } | false;
  methods?: Record<string, MethodOverrides>;
  logger?: Logger;
  clock?: Clock;
  random?: Random;
}
