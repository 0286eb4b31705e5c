import { MemoryStore } from '@ballast/config';
import { seededRandom } from '@ballast/core';
import { afterEach, describe, expect, it } from 'vitest';
import { startEmbeddedCluster } from '../src/embedded-cluster.js';
import { seedStock } from '../src/inventory-service.js';
import { placeOrderResiliently } from '../src/order-runner.js';
import { orderWorkload, uniformStock } from '../src/order-workload.js';
import { runOrders } from '../src/run-orders.js';
import { connectShop, type ShopClients } from '../src/shop-clients.js';
import type { ShopCluster } from '../src/shop-cluster.js';
import { auditShop } from '../src/shop-audit.js';
import { orderIdFor } from '../src/stored-order.js';

describe('embedded shop under replica kills and drains', () => {
  let cluster: ShopCluster | undefined;
  let clients: ShopClients | undefined;
  afterEach(async () => {
    await clients?.close();
    await cluster?.close();
  });

  it('places 200 orders: every success exists once, stock + reserved = initial, nothing oversold', async () => {
    const store = new MemoryStore();
    const initial = uniformStock(40);
    await seedStock(store, initial);
    cluster = await startEmbeddedCluster({ store, restartDelayMs: 500 });
    clients = connectShop(store);
    const requests = orderWorkload(200, seededRandom(8), 'e2e');

    const faults: Promise<void>[] = [];
    const chaos: Record<number, () => Promise<void>> = {
      20: () => cluster!.kill('orders-1'),
      40: () => cluster!.drain('inventory-2'),
      70: () => cluster!.kill('payments-1'),
      100: () => cluster!.drain('orders-2'),
      130: () => cluster!.kill('inventory-1'),
      160: () => cluster!.kill('catalog-2'),
    };
    const result = await runOrders(clients.orders, requests, {
      concurrency: 8,
      attempts: 8,
      onPlaced: (n) => chaos[n] && faults.push(chaos[n]()),
    });
    await Promise.all(faults);

    expect(result.attempts).toHaveLength(200);
    // A client that got no final answer comes back later with the same key: nothing is lost.
    for (const attempt of result.attempts.filter((a) => a.outcome.kind === 'error')) {
      const outcome = await placeOrderResiliently(clients.orders, attempt.request, { attempts: 10 });
      expect(outcome.kind).not.toBe('error');
      Object.assign(attempt, { outcome });
    }
    const stock = Object.values(initial).reduce((a, b) => a + b, 0);

    const audit = await auditShop(store, initial);
    expect(audit).toMatchObject({ duplicated: 0, oversold: 0, unbalanced: [], inconsistentOrders: [] });
    expect(audit.strandedPayments).toBe(0);
    expect(audit.orders.pending).toBe(0);
    expect(audit.orders.confirmed + audit.orders.failed).toBe(200);
    for (const { request, outcome } of result.attempts) {
      if (outcome.kind === 'confirmed') expect(outcome.orderId).toBe(orderIdFor(request.idempotencyKey));
    }
    const confirmed = result.attempts.filter((a) => a.outcome.kind === 'confirmed').length;
    expect(audit.orders.confirmed).toBe(confirmed);
    const sold = Object.values(audit.stock).reduce((sum, level) => sum + level.reserved, 0);
    const confirmedUnits = result.attempts
      .filter((a) => a.outcome.kind === 'confirmed')
      .flatMap((a) => a.request.lines)
      .reduce((sum, line) => sum + line.quantity, 0);
    expect(sold).toBe(confirmedUnits);
    expect(sold).toBeLessThanOrEqual(stock);
    expect(confirmed).toBeGreaterThan(0);
    // Every replica that was stopped came back.
    await expect
      .poll(() => cluster!.replicas().every((r) => r.state.kind === 'running'), { timeout: 15_000 })
      .toBe(true);
  }, 120_000);
});
