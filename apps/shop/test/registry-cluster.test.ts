import { MemoryStore } from '@ballast/config';
import { afterEach, describe, expect, it } from 'vitest';
import { startEmbeddedCluster } from '../src/embedded-cluster.js';
import { UnsupportedActionError } from '../src/errors.js';
import { startGateway, type Gateway } from '../src/gateway.js';
import { seedStock } from '../src/inventory-service.js';
import { uniformStock } from '../src/order-workload.js';
import { watchRegistryCluster } from '../src/registry-cluster.js';
import type { ShopCluster } from '../src/shop-cluster.js';

describe('standalone gateway over the registry (the Kubernetes layout)', () => {
  let replicas: ShopCluster | undefined;
  let registry: ShopCluster | undefined;
  let gateway: Gateway | undefined;
  afterEach(async () => {
    await gateway?.close();
    await registry?.close();
    await replicas?.close();
  });

  it('lists the registered replicas, follows them leaving, and refuses process faults', async () => {
    const store = new MemoryStore();
    await seedStock(store, uniformStock(10));
    replicas = await startEmbeddedCluster({ store, restartDelayMs: 600_000 });
    registry = await watchRegistryCluster(store);
    expect(registry.replicas().map((r) => r.name)).toEqual(
      replicas
        .replicas()
        .map((r) => r.name)
        .sort(),
    );

    gateway = await startGateway({ cluster: registry });
    const kill = await fetch(new URL('api/replicas/orders-1/kill', gateway.url), { method: 'POST' });
    expect(kill.status).toBe(409);
    expect(((await kill.json()) as { error: string }).error).toMatch(/orchestrator/);
    await expect(registry.freeze('orders-1')).rejects.toBeInstanceOf(UnsupportedActionError);

    const order = await fetch(new URL('api/orders', gateway.url), {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': 'k8s-1' },
      body: JSON.stringify({ customerId: 'c', lines: [{ sku: 'BUOY-02', quantity: 1 }] }),
    });
    expect(order.status).toBe(201);

    await replicas.drain('orders-2');
    await expect.poll(() => registry!.replicas().map((r) => r.name), { timeout: 10_000 }).not.toContain('orders-2');
  });
});
