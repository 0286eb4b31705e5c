import { MemoryStore } from '@ballast/config';
import { afterEach, describe, expect, it } from 'vitest';
import { formatSummary, runChaos } from '../src/chaos.js';
import { startEmbeddedCluster } from '../src/embedded-cluster.js';
import { seedStock } from '../src/inventory-service.js';
import { uniformStock } from '../src/order-workload.js';
import { connectShop, type ShopClients } from '../src/shop-clients.js';
import type { ShopCluster } from '../src/shop-cluster.js';

describe('the scripted chaos scenario (embedded)', () => {
  let cluster: ShopCluster | undefined;
  let clients: ShopClients | undefined;
  afterEach(async () => {
    await clients?.close();
    await cluster?.close();
  });

  it('injects every fault and reports a consistent summary', async () => {
    const store = new MemoryStore();
    await seedStock(store, uniformStock(20));
    cluster = await startEmbeddedCluster({ store, restartDelayMs: 300 });
    clients = connectShop(store);
    const log: string[] = [];
    const summary = await runChaos({ cluster, clients, orders: 80, log: (l) => log.push(l) });

    expect(summary.faults).toHaveLength(9);
    expect(log.filter((l) => l.startsWith('chaos: kill'))).toHaveLength(4);
    expect(summary).toMatchObject({ mode: 'embedded', attempted: 80, duplicated: 0, oversold: 0, unbalancedSkus: 0 });
    expect(summary.succeeded + summary.failed + summary.errors).toBe(80);
    expect(summary.errors).toBe(0);
    // Nothing declines payments here, so the only fair refusal is for stock: the faults must not
    // turn orders away. The seeded workload asks for about twice the stock.
    expect(summary.failed).toBe(summary.outOfStock);
    expect(summary.succeeded).toBeGreaterThanOrEqual(30);
    expect(summary.unitsSold).toBeLessThanOrEqual(summary.unitsInStock);
    expect(summary.unitsInStock).toBe(120);
    const text = formatSummary(summary);
    for (const label of ['orders attempted', 'succeeded', 'failed', 'duplicated', 'stock oversold']) {
      expect(text).toContain(label);
    }
    // The scenario leaves payments healthy again.
    const { kv } = await store.get('shop/config/payments');
    expect(JSON.parse(kv!.value)).toMatchObject({ latencyMs: 0, failureRate: 0 });
  }, 90_000);
});
