// One shop replica as its own process (etcd mode): `replica-main.ts <service> <name>`, with
// ETCD_ENDPOINTS naming the cluster. SIGTERM drains it; the supervisor restarts it when it dies.
import { EtcdStore } from '@ballast/config';
import { createLogger } from '@ballast/core';
import type { ShopServiceName } from './shop-clients.js';
import { startTelemetry } from './telemetry.js';

const [service, name] = process.argv.slice(2);
// Before @ballast/rpc loads: spans go to OTEL_EXPORTER_OTLP_ENDPOINT when it is set.
startTelemetry(`shop-${service}`, process.env);
const { startReplica } = await import('./replica.js');
const { SHOP_SERVICES } = await import('./shop-clients.js');
const endpoints = process.env.ETCD_ENDPOINTS?.split(',').filter(Boolean) ?? [];
if (!service || !SHOP_SERVICES.includes(service as ShopServiceName) || !name || endpoints.length === 0) {
  console.error(`usage: ETCD_ENDPOINTS=URL[,URL] replica-main.ts <${SHOP_SERVICES.join('|')}> <replica-name>`);
  process.exit(2);
}

const logger = createLogger(`shop.${name}`);
const store = await EtcdStore.connect({ endpoints, startupTimeoutMs: 30_000 }, logger);
const replica = await startReplica({
  service: service as ShopServiceName,
  name,
  store,
  handleSignals: true,
  // Loopback and any free port by default (the demo); containers set all four.
  host: process.env.SHOP_HOST,
  port: Number(process.env.SHOP_PORT ?? 0),
  advertiseAddress: process.env.SHOP_ADVERTISE_ADDRESS,
  metricsHost: process.env.SHOP_METRICS_HOST,
  metricsPort: process.env.SHOP_METRICS_PORT ? Number(process.env.SHOP_METRICS_PORT) : 0,
  logger,
});
logger.info({ replica: name, address: replica.handle.address }, 'replica serving');
