import { LiveConfig, type ConfigValue, type KvStore } from '@ballast/config';
import { createLogger, parseOptions, type Logger } from '@ballast/core';
import { serve, service, type ServeHandle } from '@ballast/rpc';
import { z } from 'zod';
import { CatalogServiceDefinition } from '@ballast/stubs/shop/v1/catalog';
import { InventoryServiceDefinition } from '@ballast/stubs/shop/v1/inventory';
import { OrderServiceDefinition } from '@ballast/stubs/shop/v1/orders';
import { PaymentServiceDefinition } from '@ballast/stubs/shop/v1/payments';
import { createCatalogService } from './catalog-service.js';
import { createInventoryService } from './inventory-service.js';
import { createOrdersService } from './orders-service.js';
import { ShopOptionsError } from './errors.js';
import { createPaymentsService } from './payments-service.js';
import { ReplicaReporter } from './replica-reporter.js';
import { serveReport, type ReportServer } from './report-server.js';
import { wrapService } from './service-wrapper.js';
import { connectShop, type ShopClients, type ShopServiceName } from './shop-clients.js';
import {
  defaultPaymentsConfig,
  noFaults,
  paymentsConfigSchema,
  replicaFaultsSchema,
  type ReplicaFaults,
} from './shop-config.js';
import { shopKeys } from './shop-keys.js';

export interface ReplicaOptions {
  service: ShopServiceName;
  /** Replica name, e.g. "orders-2": the dashboard's label and the key of its injected faults. */
  name: string;
  store: KvStore;
  host?: string;
  port?: number;
  /** Address other processes dial, when it differs from host:port (a pod IP). */
  advertiseAddress?: string;
  metricsHost?: string;
  /** Drain and exit on SIGTERM (child processes); off in process-embedded replicas. */
  handleSignals?: boolean;
  /** Serve Prometheus /metrics (port 0 = any). */
  metricsPort?: number | false;
  /** Serve GET /report (on `metricsHost`) and name it in the registry entry; default true. */
  report?: boolean;
  logger?: Logger;
}

export interface Replica {
  readonly service: ShopServiceName;
  readonly name: string;
  readonly handle: ServeHandle;
  /** Its outbound clients and served calls, as the gateway gathers them (GET `reportUrl`). */
  readonly reporter: ReplicaReporter;
  readonly reportUrl?: string;
  /** Graceful: NOT_SERVING → deregister → drain → close, then its clients and config watches. */
  close(): Promise<void>;
  /** Abrupt, for in-process chaos: connections reset and in-flight calls fail; nothing drains. */
  kill(): Promise<void>;
}

const replicaOptionsSchema = z.object({
  service: z.enum(['catalog', 'inventory', 'orders', 'payments']),
  name: z.string().regex(/^[a-z][a-z0-9-]{0,62}$/, 'must be lowercase letters, digits and dashes, e.g. "orders-1"'),
  host: z.string().min(1).optional(),
  port: z.number().int().min(0).max(65535).optional(),
  advertiseAddress: z.string().min(1).optional(),
  metricsHost: z.string().min(1).optional(),
  metricsPort: z.union([z.literal(false), z.number().int().min(0).max(65535)]).optional(),
  handleSignals: z.boolean().optional(),
  report: z.boolean().optional(),
});

/** Starts one replica of a shop service under serve(), registered in `store` for discovery. */
export async function startReplica(input: ReplicaOptions): Promise<Replica> {
  const options = {
    ...input,
    ...parseOptions(replicaOptionsSchema, input, '', { error: ShopOptionsError.factory('startReplica') }),
  };
  const logger = options.logger ?? createLogger(`shop.${options.name}`);
  const live = new LiveConfig(options.store, { logger });
  const faults = await live.watch(shopKeys.replicaFaults(options.name), replicaFaultsSchema, { default: noFaults });
  const owned: { close(): Promise<void> }[] = [faults];
  let clients: ShopClients | undefined;
  try {
    const entry = await serviceEntry(options, live, logger, faults, owned, (c) => (clients = c));
    // The server starts after the report server (its address goes into the registry entry).
    const server: { handle?: ServeHandle } = {};
    const reporter = new ReplicaReporter(options.name, outbound(clients), () => server.handle?.shedding());
    owned.push({ close: async () => reporter.close() });
    let reportServer: ReportServer | undefined;
    if (options.report !== false) {
      const advertisedHost = options.advertiseAddress?.replace(/:\d+$/, '').replace(/^\[(.*)\]$/, '$1');
      reportServer = await serveReport(reporter, options.metricsHost ?? '127.0.0.1', advertisedHost);
      owned.push(reportServer);
    }
    // A unique instance id per start: a restarted replica is a new endpoint with a new address.
    const instanceId = `${options.name}.${process.pid.toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
    const handle = await serve({
      name: options.service,
      instanceId,
      services: [entry],
      store: options.store,
      host: options.host,
      port: options.port ?? 0,
      advertiseAddress: options.advertiseAddress,
      handleSignals: options.handleSignals ?? false,
      metrics:
        options.metricsPort === false
          ? false
          : { host: options.metricsHost ?? '127.0.0.1', port: options.metricsPort ?? 0 },
      metadata: { replica: options.name, ...(reportServer ? { report: reportServer.url } : {}) },
      drainTimeoutMs: 3000,
      logger,
    });
    const readiness = () => handle.health.setDependency('injected-fault', !faults.value.unready);
    readiness();
    const disposeReadiness = faults.onChange(readiness);
    owned.push({ close: async () => disposeReadiness() });
    const release = async () => {
      await clients?.close();
      await Promise.all(owned.map((o) => o.close().catch(() => undefined)));
    };
    server.handle = handle;
    return {
      service: options.service,
      name: options.name,
      handle,
      reporter,
      reportUrl: reportServer?.url,
      async close() {
        await handle.close();
        await release();
      },
      async kill() {
        handle.server.forceShutdown();
        await handle.registration?.deregister().catch(() => undefined);
        await release();
      },
    };
  } catch (error) {
    await clients?.close();
    await Promise.all(owned.map((o) => o.close().catch(() => undefined)));
    throw error;
  }
}

async function serviceEntry(
  options: ReplicaOptions,
  live: LiveConfig,
  logger: Logger,
  faults: ConfigValue<ReplicaFaults>,
  owned: { close(): Promise<void> }[],
  setClients: (clients: ShopClients) => void,
) {
  const wrap = <T extends object>(impl: T) => wrapService(impl, faults, logger);
  switch (options.service) {
    case 'catalog':
      return service(CatalogServiceDefinition, wrap(createCatalogService()));
    case 'inventory':
      return service(InventoryServiceDefinition, wrap(createInventoryService(options.store, logger)));
    case 'payments': {
      const config = await live.watch(shopKeys.paymentsConfig, paymentsConfigSchema, {
        default: defaultPaymentsConfig,
      });
      owned.push(config);
      return service(PaymentServiceDefinition, wrap(createPaymentsService({ store: options.store, config, logger })));
    }
    case 'orders': {
      const clients = connectShop(options.store, { logger });
      setClients(clients);
      return service(OrderServiceDefinition, wrap(createOrdersService({ ...clients, store: options.store, logger })));
    }
  }
}

/** The hops a replica calls (an orders replica's own orders client stays idle). */
function outbound(clients: ShopClients | undefined): Partial<Record<ShopServiceName, object>> {
  if (!clients) return {};
  return { catalog: clients.catalog, inventory: clients.inventory, payments: clients.payments };
}
