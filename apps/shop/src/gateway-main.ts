// The gateway alone (Kubernetes): `ETCD_ENDPOINTS=… gateway-main.ts`. It finds the replicas in the
// registry; SHOP_HTTP_PORT (default 8080) and SHOP_HTTP_HOST (default 0.0.0.0) say where it listens,
// SHOP_SEED_STOCK (default 1000) the units per SKU it seeds when the store has none.
// BALLAST_GATEWAY_TOKEN is the bearer token its mutating endpoints require (mandatory unless it
// listens on loopback); SHOP_HTTP_ALLOWED_HOSTS the comma-separated Host names it answers to.
import { EtcdStore } from '@ballast/config';
import { createLogger } from '@ballast/core';
import { collectDefaultMetrics } from 'prom-client';
import { ShopOptionsError } from './errors.js';
import { DEPLOY_PORTS } from './deploy-ports.js';
import { startTelemetry } from './telemetry.js';

// Before @ballast/rpc loads: the dashboard shows the slowest recent order's trace (the gateway's
// spans), and OTEL_EXPORTER_OTLP_ENDPOINT sends every span to a collector as well.
const telemetry = startTelemetry('shop-gateway', process.env, { dashboard: true });
const { requireTokenBeyondLoopback, startGateway } = await import('./gateway.js');
const { seedStock } = await import('./inventory-service.js');
const { uniformStock } = await import('./order-workload.js');
const { watchRegistryCluster } = await import('./registry-cluster.js');

const endpoints = process.env.ETCD_ENDPOINTS?.split(',').filter(Boolean) ?? [];
if (endpoints.length === 0) {
  console.error('usage: ETCD_ENDPOINTS=URL[,URL] gateway-main.ts');
  process.exit(2);
}
const host = process.env.SHOP_HTTP_HOST ?? '0.0.0.0';
const token = process.env.BALLAST_GATEWAY_TOKEN || undefined;
const allowedHosts = process.env.SHOP_HTTP_ALLOWED_HOSTS?.split(',')
  .map((name) => name.trim())
  .filter(Boolean);
try {
  requireTokenBeyondLoopback(host, token);
} catch (error) {
  if (!(error instanceof ShopOptionsError)) throw error;
  console.error(`gateway-main: ${error.message}`);
  process.exit(2);
}
const logger = createLogger('shop.gateway');
// The one process that owns the gateway: its memory, CPU and event-loop lag go out on /metrics.
collectDefaultMetrics();
const store = await EtcdStore.connect({ endpoints, startupTimeoutMs: 60_000 }, logger);
// Create-if-absent: every gateway replica may run it; existing stock is never overwritten.
await seedStock(store, uniformStock(Number(process.env.SHOP_SEED_STOCK ?? 1000)));
const cluster = await watchRegistryCluster(store, { etcdEndpoints: endpoints, logger });
const gateway = await startGateway({
  cluster,
  host,
  port: Number(process.env.SHOP_HTTP_PORT ?? DEPLOY_PORTS.httpPort),
  token,
  allowedHosts: allowedHosts?.length ? allowedHosts : undefined,
  logger,
});
const stop = async () => {
  await gateway.close();
  await cluster.close();
  await store.close();
  await telemetry.shutdown();
  process.exit(0);
};
process.once('SIGTERM', () => void stop());
process.once('SIGINT', () => void stop());
