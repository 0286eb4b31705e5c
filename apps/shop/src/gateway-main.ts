// The gateway alone (Kubernetes): `ETCD_ENDPOINTS=… gateway-main.ts`. It finds the replicas in the
// registry; SHOP_HTTP_PORT (default 8080) and SHOP_HTTP_HOST (default 0.0.0.0) say where it listens,
// SHOP_SEED_STOCK (default 1000) the units per SKU it seeds when the store has none.
import { EtcdStore } from '@ballast/config';
import { createLogger } from '@ballast/core';
import { startGateway } from './gateway.js';
import { seedStock } from './inventory-service.js';
import { uniformStock } from './order-workload.js';
import { DEPLOY_PORTS } from './deploy-ports.js';
import { watchRegistryCluster } from './registry-cluster.js';

const endpoints = process.env.ETCD_ENDPOINTS?.split(',').filter(Boolean) ?? [];
if (endpoints.length === 0) {
  console.error('usage: ETCD_ENDPOINTS=URL[,URL] gateway-main.ts');
  process.exit(2);
}
const logger = createLogger('shop.gateway');
const store = await EtcdStore.connect({ endpoints, startupTimeoutMs: 60_000 }, logger);
// Create-if-absent: every gateway replica may run it; existing stock is never overwritten.
await seedStock(store, uniformStock(Number(process.env.SHOP_SEED_STOCK ?? 1000)));
const cluster = await watchRegistryCluster(store, { etcdEndpoints: endpoints, logger });
const gateway = await startGateway({
  cluster,
  host: process.env.SHOP_HTTP_HOST ?? '0.0.0.0',
  port: Number(process.env.SHOP_HTTP_PORT ?? DEPLOY_PORTS.httpPort),
  logger,
});
const stop = async () => {
  await gateway.close();
  await cluster.close();
  await store.close();
  process.exit(0);
};
process.once('SIGTERM', () => void stop());
process.once('SIGINT', () => void stop());
