import { createBalancedChannel, WAIT_FOR_READY_KEY, type BalancedChannel } from '@ballast/balancer';
import { discover } from '@ballast/config';
import {
  allOfHealth,
  createLogger,
  extendOptions,
  GATEWAY_ERROR_CODES,
  StaticEndpointSource,
  type EndpointSource,
  type HealthView,
  type OutcomeListener,
} from '@ballast/core';
import { createDetector, rpcClientMetrics, type Detector } from '@ballast/detector';
import {
  chainMiddleware,
  createDeadlineMiddleware,
  createEndpointBreakers,
  createHedging,
  createMethodBreakers,
  createRetry,
  type EndpointBreakers,
  type Hedging,
  type HedgingCallOptions,
  type RetryCallOptions,
  type MethodBreakers,
  type Retry,
} from '@ballast/recovery';
import { createClientFactory, Status, type Channel, type Client, type ClientMiddleware } from 'nice-grpc';
import type { CompatServiceDefinition } from 'nice-grpc/lib/service-definitions/index.js';
import { Metadata } from 'nice-grpc-common';
import type { DeadlineOptions } from 'nice-grpc-client-middleware-deadline';
import { DeferredSource } from './deferred-source.js';
import { RpcOptionsError } from './errors.js';
import type { ConnectOptions, MethodOverrides } from './connect-options.js';
import { clientCredentials } from './tls.js';

/** The parts behind a connected client, for dashboards and tests. */
export interface Connection {
  readonly service: string;
  readonly source: EndpointSource;
  readonly channels: readonly BalancedChannel[];
  readonly detector?: Detector;
  readonly retry?: Retry;
  readonly hedging?: Hedging;
  readonly breakers?: MethodBreakers;
  readonly endpointBreakers?: EndpointBreakers;
  close(): Promise<void>;
}

const connections = new WeakMap<object, Connection>();

/**
 * What a call through connect() may pass besides nice-grpc's own options: `deadline` (a Date, or
 * ms from now), `retry` (true opts a non-idempotent method in, false turns retries off),
 * `retryMaxAttempts`, and `hedge`.
 */
export type BallastCallOptions = DeadlineOptions & RetryCallOptions & HedgingCallOptions;

const DEFAULT_RETRYABLE_CODES = [
  Status.UNAVAILABLE,
  Status.RESOURCE_EXHAUSTED,
  Status.UNKNOWN,
  Status.INTERNAL,
  Status.CANCELLED,
];

/**
 * A nice-grpc client for `definition` whose calls go, outer to inner, through metrics →
 * deadline → retry (budgeted, failover) → hedging → circuit breaker → a balanced channel that
 * the failure detector steers. Close it with `disconnect(client)`.
 */
export function connect<D extends CompatServiceDefinition>(
  definition: D,
  options: ConnectOptions,
): Client<D, BallastCallOptions> {
  const service = serviceName(definition);
  const logger = (options.logger ?? createLogger('@ballast/rpc')).child({ client: service });
  const source = endpointSource(service, options, logger);

  const detector =
    options.healthCheck === false && options.outlierDetection === false
      ? undefined
      : createDetector({
          source,
          target: service,
          // 100 ms heartbeats find a frozen replica in ≈ 0.5 s; ten tiny Checks a second per
          // replica is cheap next to the calls that would otherwise hang until their deadline.
          heartbeat: options.healthCheck ?? { intervalMs: 100 },
          outlier: options.outlierDetection ?? {},
          panicThreshold: options.panicThreshold,
          clock: options.clock,
          random: options.random,
          logger,
        });
  const endpointBreakers = options.endpointBreakers ? createEndpointBreakers(options.endpointBreakers) : undefined;
  // The detector goes last: its panic threshold then sees what the breakers left.
  const views: HealthView[] = [endpointBreakers, detector].filter((v): v is NonNullable<typeof v> => !!v);
  const outcomes: OutcomeListener[] = [detector?.record, endpointBreakers?.record].filter(
    (l): l is OutcomeListener => !!l,
  );

  const maxMessageBytes = options.maxMessageBytes ?? 4 * 1024 * 1024;
  const channelFor = (overrides: Pick<MethodOverrides, 'balancer' | 'balancerOptions'> = {}) =>
    createBalancedChannel({
      service,
      source,
      policy: overrides.balancer ?? options.balancer ?? 'peak-ewma',
      policyOptions: overrides.balancerOptions ?? options.balancerOptions,
      health: allOfHealth(views),
      onOutcome: outcomes,
      credentials: options.credentials ?? clientCredentials(options.tls),
      channelOptions: {
        'grpc.max_receive_message_length': maxMessageBytes,
        'grpc.max_send_message_length': maxMessageBytes,
      },
      clock: options.clock,
      random: options.random,
      logger,
    });

  // RESOURCE_EXHAUSTED joins the retryable codes: Ballast servers shed with it (and a pushback)
  // precisely so the call goes to a replica with room.
  const retry =
    options.retry === false
      ? undefined
      : createRetry({ logger, retryableCodes: DEFAULT_RETRYABLE_CODES, ...options.retry });
  const hedging = options.hedging ? createHedging({ budget: retry?.budget, logger, ...options.hedging }) : undefined;
  // Per-method breakers see every attempt, so one dead replica of three produces bursts of
  // consecutive failures: the default trips on the method's failure rate over a window instead,
  // with a minimum volume so a cold client's first failures do not open it.
  const breakers =
    options.circuitBreaker === false
      ? undefined
      : createMethodBreakers(
          options.circuitBreaker ?? {
            breaker: { policy: { kind: 'sampling', windowMs: 10_000, minVolume: 20, failureRate: 0.5 }, logger },
            // A server shedding load (RESOURCE_EXHAUSTED + pushback) is protecting itself, and the
            // retry goes elsewhere; opening the method's breaker on it would refuse every call.
            failureCodes: GATEWAY_ERROR_CODES.filter((code) => code !== Status.RESOURCE_EXHAUSTED),
          },
        );

  // Outer → inner, composed into one middleware: nice-grpc's own composition (one `use` per
  // layer) copies the call object twice per layer on every call.
  const layers: (ClientMiddleware | undefined | false)[] = [
    options.metrics !== false && rpcClientMetrics().middleware,
    createDeadlineMiddleware(),
    retry?.middleware,
    hedging?.middleware,
    breakers?.middleware,
    source instanceof DeferredSource && waitUntilDiscovered(source),
  ];
  const factory = createClientFactory().use(
    chainMiddleware(layers.filter((layer): layer is ClientMiddleware => !!layer)),
  );

  const methodOptions = defaultCallOptions(definition, options);
  const mainChannel = channelFor();
  const channels = [mainChannel];
  let client = factory.create(definition, asChannel(mainChannel), methodOptions) as Client<D, BallastCallOptions>;
  for (const [method, overrides] of Object.entries(options.methods ?? {})) {
    if (!overrides.balancer) continue;
    const channel = channelFor(overrides);
    channels.push(channel);
    const other = factory.create(definition, asChannel(channel), methodOptions) as Record<string, unknown>;
    client = { ...client, [method]: other[method] };
  }

  let closing: Promise<void> | undefined;
  const connection: Connection = {
    service,
    source,
    channels,
    detector,
    retry,
    hedging,
    breakers,
    endpointBreakers,
    close: () =>
      (closing ??= (async () => {
        for (const channel of channels) channel.close();
        detector?.close();
        endpointBreakers?.close();
        breakers?.close();
        if (source instanceof DeferredSource || !Array.isArray(options.endpoints)) await source.close?.();
      })()),
  };
  connections.set(client, connection);
  return client;
}

/** Closes a client made by connect(): its channels, health checks and discovery watch. */
export async function disconnect(client: object): Promise<void> {
  await connections.get(client)?.close();
}

/** The parts behind a client made by connect(); undefined for any other object. */
export function connection(client: object): Connection | undefined {
  return connections.get(client);
}

/**
 * nice-grpc types its channel as grpc-js's concrete class, but only hands it to grpc-js as a
 * `channelOverride`, which needs no more than the ChannelInterface the balanced channel implements.
 */
function asChannel(channel: BalancedChannel): Channel {
  return channel as unknown as Channel;
}

function serviceName(definition: CompatServiceDefinition): string {
  return 'fullName' in definition && typeof definition.fullName === 'string' ? definition.fullName : 'service';
}

function endpointSource(
  service: string,
  options: ConnectOptions,
  logger: ReturnType<typeof createLogger>,
): EndpointSource {
  if (options.endpoints && options.discover) {
    throw new RpcOptionsError('connect', 'endpoints', 'give either endpoints or discover, not both');
  }
  if (options.discover !== undefined) {
    if (!options.store) {
      throw new RpcOptionsError(
        'connect',
        'store',
        `discover: "${options.discover}" needs a store (MemoryStore or EtcdStore)`,
      );
    }
    return new DeferredSource(discover(options.store, options.discover, { logger }), (error) =>
      logger.error({ err: error, discover: options.discover }, `discovery of ${service} failed`),
    );
  }
  if (!options.endpoints) {
    throw new RpcOptionsError(
      'connect',
      'endpoints',
      'give endpoints: ["host:port", …] or discover: "<service>" with a store',
    );
  }
  if (Array.isArray(options.endpoints)) return new StaticEndpointSource(options.endpoints);
  return options.endpoints as EndpointSource;
}

/** Per-method defaults in nice-grpc's shape: '*' for every method, then each override. */
function defaultCallOptions(definition: CompatServiceDefinition, options: ConnectOptions) {
  const deadlineMs = options.deadlineMs ?? 5_000;
  if (!(Number.isFinite(deadlineMs) && deadlineMs > 0)) {
    throw new RpcOptionsError('connect', 'deadlineMs', `expected a positive number of ms, got ${deadlineMs}`);
  }
  const methods = 'methods' in definition ? Object.keys(definition.methods as object) : Object.keys(definition);
  const result: Record<string, Record<string, unknown>> = { '*': { deadline: deadlineMs } };
  for (const [method, overrides] of Object.entries(options.methods ?? {})) {
    if (!methods.includes(method)) {
      throw new RpcOptionsError(
        'connect',
        `methods.${method}`,
        `no such method; the service has ${methods.join(', ')}`,
      );
    }
    const call: Record<string, unknown> = {};
    if (overrides.deadlineMs !== undefined) call.deadline = overrides.deadlineMs;
    if (overrides.retry !== undefined) call.retry = overrides.retry;
    if (overrides.maxRetries !== undefined) call.retryMaxAttempts = overrides.maxRetries;
    if (overrides.hedge !== undefined) call.hedge = overrides.hedge;
    result[method] = call;
  }
  return result;
}

/** Until discovery has answered once, calls wait for an endpoint instead of failing "no endpoints". */
function waitUntilDiscovered(source: DeferredSource): ClientMiddleware {
  return (call, options) => {
    if (source.ready) return call.next(call.request, options);
    const metadata = Metadata(options.metadata);
    metadata.set(WAIT_FOR_READY_KEY, '1');
    return call.next(call.request, extendOptions(options, { metadata }));
  };
}
