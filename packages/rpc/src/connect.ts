import {
  balancedStreams,
  balancedUnary,
  createBalancedChannel,
  EndpointTable,
  type BalancedChannel,
} from '@ballast/balancer';
import { discover, DnsSource, isDnsTarget } from '@ballast/config';
import {
  allOfHealth,
  CALL_CONTEXT,
  CallContext,
  callContextOf,
  extendOptions,
  MetadataKeys,
  parseOptions,
  partLogger,
  realTimersOn,
  StaticEndpointSource,
  type EndpointSource,
  type HealthView,
  type Logger,
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
import { createClientFactory, type Channel, type Client, type ClientMiddleware } from 'nice-grpc';
import type { CompatServiceDefinition } from 'nice-grpc/lib/service-definitions/index.js';
import { Metadata } from 'nice-grpc-common';
import type { DeadlineOptions } from 'nice-grpc-client-middleware-deadline';
import { DeferredSource } from './deferred-source.js';
import { RpcOptionsError } from './errors.js';
import {
  connectOptionsSchema,
  type ConnectOptions,
  type MethodOverrides,
  type ParsedConnectOptions,
} from './connect-options.js';
import type { CertificateFiles } from './certificate-files.js';
import { clientTls } from './tls.js';
import { clientTracing } from './client-tracing.js';
import { parsePlacement, type Placement } from './placement-options.js';

/** The parts behind a connected client, for dashboards and tests. */
export interface Connection {
  readonly service: string;
  readonly source: EndpointSource;
  /** One entry per endpoint: its one connection, shared by calls and health checks. */
  readonly table: EndpointTable;
  readonly channels: readonly BalancedChannel[];
  readonly detector?: Detector;
  readonly retry?: Retry;
  readonly hedging?: Hedging;
  readonly breakers?: MethodBreakers;
  readonly endpointBreakers?: EndpointBreakers;
  /** What re-reads the TLS files given as paths (`onReload` tells of rotations), when it does. */
  readonly certificates?: CertificateFiles;
  close(): Promise<void>;
}

const connections = new WeakMap<object, Connection>();

/**
 * What a call through connect() may pass besides nice-grpc's own options: `deadline` (a Date, or
 * ms from now), `retry` (true opts a non-idempotent method in, false turns retries off),
 * `retryMaxAttempts`, and `hedge`.
 */
export type BallastCallOptions = DeadlineOptions & RetryCallOptions & HedgingCallOptions;

/**
 * A nice-grpc client for `definition` whose calls go, outer to inner, through metrics → tracing →
 * deadline → circuit breaker → retry (budgeted, failover) → hedging → a balanced channel that
 * the failure detector steers. Every unary call has one CallContext that these layers share in
 * process. Close it with `disconnect(client)`. Every option is checked here: a bad one throws
 * now, naming the field, never at the first call.
 */
export function connect<D extends CompatServiceDefinition>(
  definition: D,
  input: ConnectOptions,
): Client<D, BallastCallOptions> {
  const service = serviceName(definition);
  const options = parseOptions(connectOptionsSchema, input, '', { error: RpcOptionsError.factory('connect') });
  const { maxMessageBytes } = options;
  const methodOptions = defaultCallOptions(definition, options);
  const placement = parsePlacement(options);
  // The caller's logger, bound to this client, is the parent of every part's logger (table,
  // channels, detector, retry…); connect()'s own records are its `ballast.rpc.connect` child.
  const parent = options.logger?.child({ client: service });
  const logger = partLogger('rpc', 'connect', options.logger).child({ client: service });
  const source = endpointSource(service, options, logger, parent);
  // Only what connect() made is connect()'s to close: a source the caller passed stays theirs.
  const ownsSource =
    source instanceof DeferredSource || source instanceof DnsSource || Array.isArray(options.endpoints);
  const closeOwnedSource = () => (ownsSource ? source.close?.() : undefined);

  // Everything below that can throw on a bad option runs before a connection or a timer exists,
  // or cleans up after itself: a throwing connect() leaves nothing running.
  let table: EndpointTable | undefined;
  let certificates: CertificateFiles | undefined;
  try {
    let credentials = options.credentials;
    if (credentials === undefined) {
      try {
        ({ credentials, certificates } = clientTls(options.tls, parent));
      } catch (error) {
        throw new RpcOptionsError('connect', 'tls', (error as Error).message);
      }
    }
    table = new EndpointTable({
      source,
      subset: placement.subset,
      scheduler: realTimersOn(options.clock),
      credentials,
      channelOptions: {
        'grpc.max_receive_message_length': maxMessageBytes,
        'grpc.max_send_message_length': maxMessageBytes,
        // Health checks share this connection: a replica that restarts is found again quickly.
        'grpc.initial_reconnect_backoff_ms': 100,
        'grpc.max_reconnect_backoff_ms': 1_000,
        ...keepaliveOptions(options.keepalive),
      },
      logger: parent,
    });
    return build(definition, options, {
      service,
      logger,
      parent,
      source,
      table,
      methodOptions,
      maxMessageBytes,
      ownsSource,
      certificates,
      placement,
    });
  } catch (error) {
    table?.close();
    certificates?.close();
    void closeOwnedSource();
    throw error;
  }
}

interface Parts {
  service: string;
  /** connect()'s own records. */
  logger: Logger;
  /** The parent of the parts' loggers: the caller's logger bound to this client, if one was given. */
  parent: Logger | undefined;
  source: EndpointSource;
  table: EndpointTable;
  methodOptions: Record<string, Record<string, unknown>>;
  maxMessageBytes: number;
  ownsSource: boolean;
  certificates: CertificateFiles | undefined;
  placement: Placement;
}

function build<D extends CompatServiceDefinition>(
  definition: D,
  options: ConnectOptions,
  { service, logger, parent, source, table, methodOptions, ownsSource, certificates, placement }: Parts,
): Client<D, BallastCallOptions> {
  const detector =
    options.healthCheck === false && options.outlierDetection === false
      ? undefined
      : createDetector({
          // The table's list: what the channels pick from, heard by the detector first so that a
          // change rebuilds each picker once.
          source: table,
          connection: (endpoint) => table.connection(endpoint),
          // Calls waiting on a silent replica make the detector ask it sooner (≈ 0.9 s to find it
          // frozen); an idle connection is asked every 2 s, and one that answers calls never.
          inFlight: (endpoint) => table.get(endpoint.id)?.inFlight ?? 0,
          target: service,
          heartbeat: options.healthCheck,
          outlier: options.outlierDetection ?? {},
          panicThreshold: options.panicThreshold,
          clock: options.clock,
          random: options.random,
          logger: parent,
        });
  // The subset replaces members the detector finds down or ejected, so its healthy part keeps its size.
  if (detector) {
    table.followHealth(
      (id) => (detector.state(id)?.type ?? 'up') === 'up',
      (listener) => detector.onChange(listener),
    );
  }
  const parts: { close(): void }[] = detector ? [detector] : [];
  try {
    return assemble(
      definition,
      options,
      { service, logger, parent, source, table, methodOptions, ownsSource, certificates, placement },
      detector,
      parts,
    );
  } catch (error) {
    for (const part of parts) part.close();
    throw error;
  }
}

function assemble<D extends CompatServiceDefinition>(
  definition: D,
  options: ConnectOptions,
  {
    service,
    logger,
    parent,
    source,
    table,
    methodOptions,
    ownsSource,
    certificates,
    placement,
  }: Omit<Parts, 'maxMessageBytes'>,
  detector: Detector | undefined,
  parts: { close(): void }[],
): Client<D, BallastCallOptions> {
  // A DNS answer may be stale when the detector takes an endpoint out (health checks fail on a
  // pod that moved): ask again, as when a call fails on one.
  if (source instanceof DnsSource && detector) {
    detector.onEndpointStateChange((change) => {
      if (change.current.type !== 'up') source.refresh(`endpoint ${change.endpoint.id} is ${change.current.type}`);
    });
  }
  const endpointBreakers = options.endpointBreakers ? createEndpointBreakers(options.endpointBreakers) : undefined;
  if (endpointBreakers) parts.push(endpointBreakers);
  // The detector goes last: its panic threshold then sees what the breakers left.
  const views: HealthView[] = [endpointBreakers, detector].filter((v): v is NonNullable<typeof v> => !!v);
  const outcomes: OutcomeListener[] = [
    detector?.record,
    endpointBreakers?.record,
    // A subset member that sheds load counts as overloaded for a while: the subset takes one more beside it.
    placement.subset && table.noteOutcome,
    source instanceof DnsSource && refreshOnFailure(source),
  ].filter((l): l is OutcomeListener => !!l);

  const channelFor = (overrides: Pick<MethodOverrides, 'balancer' | 'balancerOptions'> = {}) => {
    const channel = createBalancedChannel({
      service,
      source: table,
      table,
      policy: overrides.balancer ?? options.balancer ?? 'peak-ewma',
      policyOptions: overrides.balancerOptions ?? options.balancerOptions,
      health: allOfHealth(views),
      zone: placement.zone,
      slowStart: placement.slowStart,
      onOutcome: outcomes,
      clock: options.clock,
      random: options.random,
      logger: parent,
    });
    parts.push(channel);
    return channel;
  };

  // The retry's default codes follow the signal taxonomy: endpoint failing or overloaded (a
  // Ballast server sheds with RESOURCE_EXHAUSTED and a pushback so the call goes elsewhere). The
  // balanced channel writes each attempt's pushback into the call's context: no trailer hook.
  const retry =
    options.retry === false ? undefined : createRetry({ logger: parent, ...options.retry, readTrailers: false });
  const hedging = options.hedging
    ? createHedging({ budget: retry?.budget, logger: parent, ...options.hedging })
    : undefined;
  // Per-method breakers see every attempt, so one dead replica of three produces bursts of
  // consecutive failures: the default trips on the method's failure rate over a window instead,
  // with a minimum volume so a cold client's first failures do not open it.
  // The method breaker judges whole calls: it sits outside the retry, so an open one fails the
  // call at once instead of being retried into, and its failures are the taxonomy's
  // endpoint-failing codes (a shedding server's RESOURCE_EXHAUSTED is not one).
  const breakers =
    options.circuitBreaker === false
      ? undefined
      : createMethodBreakers(
          options.circuitBreaker ?? {
            breaker: {
              policy: { type: 'sampling', windowMs: 10_000, minVolume: 20, failureRate: 0.5 },
              logger: parent,
            },
          },
        );
  if (breakers) parts.push(breakers);

  // Outer → inner, composed into one middleware: nice-grpc's own composition (one `use` per
  // layer) copies the call object twice per layer on every call. The last layer issues unary
  // calls on the balanced channel itself, with the call's context.
  const layers: (ClientMiddleware | undefined | false)[] = [
    options.metrics !== false && rpcClientMetrics().middleware,
    callContextLayer,
    options.tracing !== false && clientTracing(),
    createDeadlineMiddleware(),
    breakers?.middleware,
    retry?.middleware,
    hedging?.middleware,
    (source instanceof DeferredSource || source instanceof DnsSource) && waitUntilDiscovered(source),
  ];
  const common = layers.filter((layer): layer is ClientMiddleware => !!layer);
  const clientOver = (channel: BalancedChannel) =>
    createClientFactory()
      .use(chainMiddleware([...common, balancedStreams(channel, definition), balancedUnary(channel, definition)]))
      .create(definition, asChannel(channel), methodOptions) as Client<D, BallastCallOptions>;

  const mainChannel = channelFor();
  const channels = [mainChannel];
  let client = clientOver(mainChannel);
  for (const [method, overrides] of Object.entries(options.methods ?? {})) {
    if (!overrides.balancer) continue;
    const channel = channelFor(overrides);
    channels.push(channel);
    const other = clientOver(channel) as Record<string, unknown>;
    client = { ...client, [method]: other[method] };
  }

  let closing: Promise<void> | undefined;
  const connection: Connection = {
    service,
    source,
    table,
    channels,
    detector,
    retry,
    hedging,
    breakers,
    endpointBreakers,
    certificates,
    close: () =>
      (closing ??= (async () => {
        for (const channel of channels) channel.close();
        detector?.close();
        endpointBreakers?.close();
        breakers?.close();
        hedging?.close();
        table.close();
        certificates?.close();
        if (ownsSource) await source.close?.();
        logger.info({ channels: channels.length }, 'client closed');
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
  logger: Logger,
  parent: Logger | undefined,
): EndpointSource {
  if (options.endpoints && options.discover) {
    throw new RpcOptionsError('connect', 'endpoints', 'give either endpoints or discover, not both');
  }
  if (options.discover !== undefined && isDnsTarget(options.discover)) {
    try {
      return new DnsSource(options.discover, { ...options.dns, logger: parent });
    } catch (error) {
      throw new RpcOptionsError('connect', 'discover', (error as Error).message);
    }
  }
  if (options.dns !== undefined) {
    throw new RpcOptionsError('connect', 'dns', 'dns options need discover: "dns:///host:port"');
  }
  if (options.discover !== undefined) {
    if (!options.store) {
      throw new RpcOptionsError(
        'connect',
        'store',
        `discover: "${options.discover}" needs a store (MemoryStore or EtcdStore)`,
      );
    }
    return new DeferredSource(discover(options.store, options.discover, { logger: parent }), (error) =>
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

/**
 * grpc-js keepalive options. A ping every 30 s is far above what Ballast's and grpc-js's servers
 * accept, and finds a half-open connection (a peer behind a dead NAT or a crashed host) that no
 * call would notice until its deadline.
 */
function keepaliveOptions(keepalive: ParsedConnectOptions['keepalive']): Record<string, number> {
  if (keepalive === false) return {};
  return {
    'grpc.keepalive_time_ms': keepalive.timeMs,
    'grpc.keepalive_timeout_ms': keepalive.timeoutMs,
    'grpc.keepalive_permit_without_calls': keepalive.withoutCalls ? 1 : 0,
  };
}

/** Per-method defaults in nice-grpc's shape: '*' for every method, then each override. */
function defaultCallOptions(definition: CompatServiceDefinition, options: ParsedConnectOptions) {
  const { deadlineMs } = options;
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

/** Gives each call its CallContext, which every layer under it shares. */
const callContextLayer: ClientMiddleware = (call, options) => {
  if (callContextOf(options) !== undefined) return call.next(call.request, options);
  return call.next(call.request, extendOptions(options, { [CALL_CONTEXT]: new CallContext(call.method.path) }));
};

/**
 * A pod that went away takes its address with it: a call failing on an endpoint asks DNS again
 * (the source rate-limits how often), so a replacement is found before the next interval.
 */
function refreshOnFailure(source: DnsSource): OutcomeListener {
  return (outcome) => {
    if (outcome.signal === 'endpoint-failing') source.refresh(`a call failed on ${outcome.endpointId}`);
  };
}

/** Until discovery has answered once, calls wait for an endpoint instead of failing "no endpoints". */
function waitUntilDiscovered(source: { readonly ready: boolean }): ClientMiddleware {
  return (call, options) => {
    if (source.ready) return call.next(call.request, options);
    const context = callContextOf(options);
    if (context !== undefined) {
      context.waitForReady = true;
      return call.next(call.request, options);
    }
    // A call with no context (one that skipped callContextLayer): the channel reads this key.
    const metadata = Metadata(options.metadata);
    metadata.set(MetadataKeys.waitForReady, '1');
    return call.next(call.request, extendOptions(options, { metadata }));
  };
}
