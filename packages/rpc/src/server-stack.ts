import type { Logger, Scheduler } from '@ballast/core';
import { createServerHealth, metricsRegistry, type ServerHealth } from '@ballast/detector';
import {
  concurrencyCapMiddleware,
  connectionReaper,
  createLoadShedder,
  deadlineInterceptor,
  deadlinePropagationServerMiddleware,
  handlerErrorsMiddleware,
  isConcurrencyLimit,
  rapidResetGuard,
  streamLimit,
  type ConnectionReaper,
  type LoadShedder,
} from '@ballast/recovery';
import { protoset as defaultProtoset } from '@ballast/stubs/protoset';
import { createServer, type Server } from 'nice-grpc';
import { prometheusServerMiddleware } from 'nice-grpc-prometheus';
import { HealthDefinition } from 'nice-grpc-server-health';
import { LoadMonitor } from './load-monitor.js';
import { loadReportMiddleware } from './load-report-middleware.js';
import { orcaService } from './orca-service.js';
import { reflectionServices } from './reflection.js';
import type { ParsedServeOptions } from './serve-options.js';
import { serverTracing } from './server-tracing.js';

/** A server not yet listening, with the parts serve() controls and closes. */
export interface ServerStack {
  readonly server: Server;
  readonly health: ServerHealth;
  readonly monitor: LoadMonitor | undefined;
  readonly shedder: LoadShedder | undefined;
  readonly reaper: ConnectionReaper | undefined;
}

export interface ServerStackParts {
  /** serve()'s own records. */
  readonly logger: Logger;
  /** The parent of the parts' loggers (health, shedder). */
  readonly parent: Logger | undefined;
  readonly scheduler: Scheduler;
}

/**
 * serve()'s nice-grpc server: its HTTP/2 settings, its middlewares, the caller's services, and
 * health, ORCA and reflection beside them.
 */
export function serverStack(options: ParsedServeOptions, { logger, parent, scheduler }: ServerStackParts): ServerStack {
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
  return { server, health, monitor, shedder, reaper };
}

function fullName(definition: ParsedServeOptions['services'][number]['definition']): string {
  return 'fullName' in definition && typeof definition.fullName === 'string' ? definition.fullName : String(definition);
}
