import { randomUUID } from 'node:crypto';
import { register, type Registration } from '@ballast/config';
import { Emitter, parseOptions, partLogger, systemScheduler, type Logger } from '@ballast/core';
import {
  createServerHealth,
  metricsRegistry,
  serveMetrics,
  type MetricsServer,
  type ServerHealth,
} from '@ballast/detector';
import {
  concurrencyCapMiddleware,
  createLoadShedder,
  deadlineInterceptor,
  deadlinePropagationServerMiddleware,
  handlerErrorsMiddleware,
  isConcurrencyLimit,
  rapidResetGuard,
  connectionReaper,
  streamLimit,
  type LoadShedderStats,
} from '@ballast/recovery';
import { protoset as defaultProtoset } from '@ballast/stubs/protoset';
import { createServer, type Server } from 'nice-grpc';
import { prometheusServerMiddleware } from 'nice-grpc-prometheus';
import { HealthDefinition } from 'nice-grpc-server-health';
import { LoadMonitor } from './load-monitor.js';
import { loadReportMiddleware } from './load-report-middleware.js';
import { orcaService } from './orca-service.js';
import { reflectionServices } from './reflection.js';
import { ZONE_ENV } from './placement-options.js';
import { RpcOptionsError } from './errors.js';
import { serveOptionsSchema, type ServeOptionsInput } from './serve-options.js';
import { serverTracing } from './server-tracing.js';
import type { CertificateFiles } from './certificate-files.js';
import { serverTls } from './tls.js';

/** Where a served instance is in its life. */
export type ServeState = 'serving' | 'draining' | 'closed';

export interface ServeHandle {
  readonly name: string;
  readonly instanceId: string;
  /** host:port the server listens on. */
  readonly address: string;
  readonly port: number;
  /** http://127.0.0.1:PORT/metrics, when metrics are on. */
  readonly metricsUrl?: string;
  readonly server: Server;
  /**
   * This instance's ORCA load reports (unless `loadReports: false`); its
   * `setApplicationUtilization` states the application's own utilisation to balancers.
   */
  readonly load?: LoadMonitor;
  /** Calls the adaptive limit accepted and shed so far, and its limit now (unless `loadShedding: false`). */
  shedding(): LoadShedderStats | undefined;
  /** The registry entry, when serve() was given a store. */
  readonly registration?: Registration;
  /** What re-reads the TLS files given as paths (`onReload` tells of rotations), when it does. */
  readonly certificates?: CertificateFiles;
  /**
   * Liveness and readiness as grpc.health.v1 reports them; `health.setDependency('db', false)`
   * takes the instance out of rotation without closing it.
   */
  readonly health: ServerHealth;
  readonly state: ServeState;
  onStateChange(listener: (state: ServeState) => void): () => void;
  /** Graceful: NOT_SERVING → deregister → drain in-flight calls (bounded) → close. */
  close(): Promise<void>;
}

/**
 * Starts a nice-grpc server with health, reflection, metrics, load reports, error mapping and
 * graceful shutdown. See the package README for every option and its default.
 */
export async function serve(input: ServeOptionsInput): Promise<ServeHandle> {
  const options = parseOptions(serveOptionsSchema, input, '', { error: RpcOptionsError.factory('serve') });
  // The caller's logger, bound to this service, is the parent of the parts' loggers (health,
  // shedder, registration, TLS); serve()'s own records are its `ballast.rpc.serve` child.
  const parent = options.logger?.child({ service: options.name });
  const logger: Logger = partLogger('rpc', 'serve', options.logger).child({ service: options.name });
  const scheduler = options.scheduler ?? systemScheduler;
  const instanceId = options.instanceId ?? `${options.name}-${randomUUID().slice(0, 8)}`;

  const loadReports = options.loadReports;
  const monitor = loadReports === false ? undefined : new LoadMonitor(loadReports.intervalMs, scheduler);
  // Outer → inner: tracing, errors, metrics, stream bound, hard cap, load report, adaptive shedding, deadline
  // context. The cap, the load report and the shedder count unary work only: a stream or a health
  // check is never refused or counted by them, so idle streams cannot starve calls or liveness.
  const resetGuard = options.rapidReset ? rapidResetGuard({ limit: options.rapidReset, logger }) : undefined;
  const reaper = options.connectionCheck
    ? connectionReaper({ ...options.connectionCheck, logger, scheduler })
    : undefined;
  let server = createServer({
    'grpc.max_receive_message_length': options.maxMessageBytes,
    'grpc.max_send_message_length': options.maxMessageBytes,
    'grpc.max_concurrent_streams': options.http2MaxConcurrentStreams,
    'grpc.keepalive_time_ms': options.keepaliveTimeMs,
    'grpc.keepalive_timeout_ms': options.keepaliveTimeoutMs,
    // Clients' pings are welcome at any rate, with or without calls open. grpc-js 1.14 enforces
    // no minimum ping interval; these are gRPC core's names for that policy, stated so that a
    // grpc-js that adopts them keeps accepting a Ballast client (keepalive down to 1 s).
    'grpc.keepalive_permit_without_calls': 1,
    'grpc.http2.max_ping_strikes': 0,
    'grpc.http2.min_ping_interval_without_data_ms': 500,
    ...(options.maxConnectionAgeMs !== false && {
      'grpc.max_connection_age_ms': options.maxConnectionAgeMs,
      'grpc.max_connection_age_grace_ms': options.maxConnectionAgeGraceMs,
    }),
    ...(options.maxConnectionIdleMs !== false && { 'grpc.max_connection_idle_ms': options.maxConnectionIdleMs }),
    // The connection reaper and the rapid-reset guard go first: only grpc-js's own call shows its
    // HTTP/2 stream, and the reaper passes that call on as it is. grpc-js hides an incoming call's
    // deadline from handlers; the deadline interceptor re-exposes it.
    interceptors: [
      ...(reaper ? [reaper.interceptor] : []),
      ...(resetGuard ? [resetGuard.interceptor] : []),
      deadlineInterceptor,
    ],
  } as Parameters<typeof createServer>[0]);
  if (options.tracing) server = server.use(serverTracing());
  server = server
    .use(handlerErrorsMiddleware(logger))
    .use(prometheusServerMiddleware())
    .use(
      streamLimit({ maxStreams: options.maxStreams, maxStreamsPerConnection: options.maxStreamsPerConnection })
        .middleware,
    )
    .use(concurrencyCapMiddleware(options.maxConcurrentCalls));
  if (monitor) server = server.use(loadReportMiddleware(monitor));
  const shedder =
    options.loadShedding === false
      ? undefined
      : createLoadShedder({
          // ballast_shed_total and ballast_concurrency_limit on the registry /metrics serves.
          registry: metricsRegistry,
          ...options.loadShedding,
          // Below ~20 concurrent calls a Node server is rarely queueing; and where several servers
          // share one event loop (the embedded demo, tests), each other's work reads as queueing.
          // A limit of the caller's own (a FixedLimit…) is used as it is, never copied into options.
          limiter: isConcurrencyLimit(options.loadShedding.limiter)
            ? options.loadShedding.limiter
            : { minLimit: 20, ...(options.loadShedding.limiter as object | undefined) },
          name: options.name,
          logger: parent,
        });
  if (shedder) server = server.use(shedder.middleware);
  server = server.use(deadlinePropagationServerMiddleware);

  for (const entry of options.services) server.add(entry.definition, entry.implementation);
  const serviceNames = options.services.map((entry) => fullName(entry.definition));
  const health = createServerHealth({ services: serviceNames, logger: parent });
  server.add(HealthDefinition, health.implementation);
  // Standard services besides health, for reflection too.
  const served: string[] = [];
  if (monitor) {
    const orca = orcaService(monitor);
    server.add(orca.definition, orca.implementation);
    served.push(orca.definition.fullName);
  }
  if (options.reflection) {
    const protoset = options.protoset ?? defaultProtoset;
    for (const entry of reflectionServices({ services: [...serviceNames, ...served], protoset, logger })) {
      server.add(entry.definition, entry.implementation);
    }
  }

  let tls: ReturnType<typeof serverTls>;
  try {
    tls = serverTls(options.tls, parent);
  } catch (error) {
    throw new RpcOptionsError('serve', 'tls', (error as Error).message);
  }
  const port = await server.listen(`${options.host}:${options.port}`, tls.credentials);
  const address = `${options.host}:${port}`;

  const advertised = options.advertiseAddress ?? address;
  let registration: Registration | undefined;
  if (options.store) {
    registration = await register(
      options.store,
      {
        service: options.name,
        id: instanceId,
        address: advertised,
        weight: options.weight,
        zone: options.zone ?? (process.env[ZONE_ENV] || undefined),
        metadata: options.metadata,
      },
      { logger: parent },
    ).catch(async (error: unknown) => {
      server.forceShutdown();
      throw error;
    });
  }

  let metrics: MetricsServer | undefined;
  if (options.metrics) metrics = await serveMetrics({ host: options.metrics.host, port: options.metrics.port });

  let state: ServeState = 'serving';
  // A listener that throws must not stop the drain half-way: it is logged and the others still run.
  const stateChanges = new Emitter<ServeState>('serve state', logger);
  const setState = (next: ServeState) => {
    state = next;
    logger.info({ instanceId, address, state: next }, `instance ${next}`);
    stateChanges.emit(next);
  };

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      setState('draining');
      health.startDraining();
      // Out of the registry before the listener closes, so discovery stops sending new calls here.
      await registration?.deregister().catch((error: unknown) => logger.warn({ err: error }, 'deregister failed'));
      if (options.drainDelayMs > 0) await scheduler.sleep(options.drainDelayMs);
      const forced = scheduler.setTimeout(() => {
        logger.warn({ instanceId, drainTimeoutMs: options.drainTimeoutMs }, 'drain timed out; cancelling calls');
        server.forceShutdown();
      }, options.drainTimeoutMs);
      await server.shutdown();
      scheduler.clearTimeout(forced);
      reaper?.close();
      monitor?.close();
      tls.certificates?.close();
      await metrics?.close();
      removeSignalHandlers();
      setState('closed');
    })());

  const onSignal = (signal: NodeJS.Signals) => {
    logger.info({ signal }, 'shutting down gracefully');
    close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'graceful shutdown failed');
        process.exit(1);
      },
    );
  };
  const removeSignalHandlers = () => {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
  };
  if (options.handleSignals) {
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
  }

  setState('serving');
  return {
    name: options.name,
    instanceId,
    address: advertised,
    port,
    metricsUrl: metrics ? `http://${metrics.address}/metrics` : undefined,
    server,
    load: monitor,
    shedding: () => shedder?.stats(),
    registration,
    certificates: tls.certificates,
    health,
    get state() {
      return state;
    },
    onStateChange(listener) {
      return stateChanges.on(listener);
    },
    close,
  };
}

function fullName(definition: ServeOptionsInput['services'][number]['definition']): string {
  return 'fullName' in definition && typeof definition.fullName === 'string' ? definition.fullName : String(definition);
}
