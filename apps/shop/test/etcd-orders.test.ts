import { seededRandom } from '@ballast/core';
import { startEtcdCluster, type EtcdCluster } from '@ballast/etcd-cluster';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readInitialStock, seedStock } from '../src/inventory-service.js';
import { placeOrderResiliently } from '../src/order-runner.js';
import { orderWorkload, uniformStock } from '../src/order-workload.js';
import { startProcessCluster } from '../src/process-cluster.js';
import { runOrders } from '../src/run-orders.js';
import { connectShop, type ShopClients } from '../src/shop-clients.js';
import { waitForShop, type ShopCluster } from '../src/shop-cluster.js';
import { startGateway } from '../src/gateway.js';
import { auditShop } from '../src/shop-audit.js';
import { orderIdFor } from '../src/stored-order.js';

describe('shop on etcd, one process per replica, under SIGKILL / SIGSTOP / SIGTERM and an etcd leader kill', () => {
  let etcd: EtcdCluster;
  let cluster: ShopCluster;
  let clients: ShopClients;

  beforeAll(async () => {
    // Its own etcd cluster: this test kills the leader.
    etcd = await startEtcdCluster({ members: 3 });
    cluster = await startProcessCluster({ endpoints: etcd.endpoints, etcdCluster: etcd, logLevel: 'error' });
    await seedStock(cluster.store, uniformStock(40));
    clients = connectShop(cluster.store);
    await waitForShop(cluster, 90_000);
  }, 120_000);
  afterAll(async () => {
    await clients?.close();
    await cluster?.close();
    await etcd?.stop();
  }, 60_000);

  it('places 200 orders: every success exists once, none lost, stock + reserved = initial', async () => {
    const requests = orderWorkload(200, seededRandom(80), 'etcd-e2e');
    const faults: Promise<unknown>[] = [];
    let killedLeader: string | undefined;
    const chaos: Record<number, () => Promise<unknown>> = {
      15: () => cluster.kill('orders-1'),
      35: () => cluster.freeze('inventory-1'),
      60: () => cluster.heal('inventory-1'),
      80: async () => (killedLeader = await cluster.killEtcdLeader()),
      110: () => cluster.drain('orders-2'),
      140: () => cluster.kill('payments-1'),
      160: () => cluster.kill('inventory-2'),
    };
    const result = await runOrders(clients.orders, requests, {
      concurrency: 8,
      attempts: 8,
      onPlaced: (n) => chaos[n] && faults.push(chaos[n]()),
    });
    await Promise.all(faults);
    expect(result.attempts).toHaveLength(200);

    // A client that got no final answer comes back later with the same key: nothing is lost.
    const late = result.attempts.filter((a) => a.outcome.kind === 'error');
    for (const attempt of late) {
      const outcome = await placeOrderResiliently(clients.orders, attempt.request, { attempts: 10 });
      expect(outcome.kind).not.toBe('error');
      Object.assign(attempt, { outcome });
    }

    const initial = await readInitialStock(cluster.store);
    const audit = await auditShop(cluster.store, initial);
    expect(audit).toMatchObject({ duplicated: 0, oversold: 0, unbalanced: [], inconsistentOrders: [] });
    expect(audit.strandedPayments).toBe(0);
    expect(audit.orders.pending).toBe(0);
    expect(audit.orders.confirmed + audit.orders.failed).toBe(200);
    const confirmed = result.attempts.filter((a) => a.outcome.kind === 'confirmed');
    expect(confirmed.length).toBeGreaterThan(0);
    expect(audit.orders.confirmed).toBe(confirmed.length);
    for (const { request, outcome } of confirmed) {
      expect(outcome.kind === 'confirmed' && outcome.orderId).toBe(orderIdFor(request.idempotencyKey));
    }
    const sold = Object.values(audit.stock).reduce((sum, level) => sum + level.reserved, 0);
    const confirmedUnits = confirmed.flatMap((a) => a.request.lines).reduce((sum, l) => sum + l.quantity, 0);
    expect(sold).toBe(confirmedUnits);

    // The etcd leader really died mid-run, and the supervisor restarted every killed replica.
    expect(etcd.members.map((m) => m.name)).toContain(killedLeader);
    await expect
      .poll(() => cluster.replicas().every((r) => r.state.kind === 'running'), { timeout: 30_000 })
      .toBe(true);
    for (const name of ['orders-1', 'orders-2', 'payments-1', 'inventory-2']) {
      expect(cluster.replicas().find((r) => r.name === name)!.restarts, name).toBeGreaterThanOrEqual(1);
    }
  }, 180_000);

  it('50 concurrent orders through the gateway: shedding moves work between the orders replicas, none answers 503, none is ejected', async () => {
    await seedStock(cluster.store, uniformStock(1_000));
    const gateway = await startGateway({ cluster });
    try {
      const order = (i: number) =>
        fetch(new URL('/api/orders', gateway.url), {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'idempotency-key': `burst-${i}` },
          body: JSON.stringify({ customerId: `c-${i}`, lines: [{ sku: 'BUOY-02', quantity: 1 }] }),
        }).then(async (r) => ({ status: r.status, body: await r.text() }));
      const answers = await Promise.all(Array.from({ length: 50 }, (_, i) => order(i)));
      expect(answers.filter((a) => a.status >= 500)).toEqual([]);
      const state = (await (await fetch(new URL('/api/state', gateway.url))).json()) as {
        replicas: { name: string; state: string; detail: string }[];
      };
      // Shedding ejects nothing, and no orders replica (the ones that shed) is out. A replica the
      // chaos test above killed may still show its old incarnation down until its lease expires.
      const out = state.replicas.filter(
        (r) => r.state === 'ejected' || (r.state === 'down' && r.name.startsWith('orders-')),
      );
      expect(out).toEqual([]);
      expect(state.replicas.filter((r) => r.name.startsWith('orders-'))).toHaveLength(2);
    } finally {
      await gateway.close();
    }
  }, 120_000);
});
