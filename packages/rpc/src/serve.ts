import { randomUUID } from 'node:crypto';
import { register, type Registration } from '@ballast/config';
import { Emitter, parseOptions, partLogger, systemScheduler, type Logger } from '@ballast/core';
import { serveMetrics, type MetricsServer, type ServerHealth } from '@ballast/detector';
import type { LoadShedderStats } from '@ballast/recovery';
import type { Server } from 'nice-grpc';
import type { LoadMonitor } from './load-monitor.js';
import { ZONE_ENV } from './placement-options.js';
import { RpcOptionsError } from './errors.js';
import { serveOptionsSchema, type ServeOptionsInput } from './serve-options.js';
import { serverStack } from './server-stack.js';
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

  const { server, health, monitor, shedder, reaper } = serverStack(options, { logger, parent, scheduler });

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
