import { LiveConfig, MemoryStore } from '@ballast/config';
import { connect, disconnect } from '@ballast/rpc';
import { InventoryServiceDefinition } from '@ballast/stubs/shop/v1/inventory';
import { OrderStatus } from '@ballast/stubs/shop/v1/orders';
import { PaymentServiceDefinition } from '@ballast/stubs/shop/v1/payments';
import { ClientError, Status } from 'nice-grpc';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedCluster } from '../src/embedded-cluster.js';
import { seedStock } from '../src/inventory-service.js';
import { connectShop, type ShopClients } from '../src/shop-clients.js';
import type { ShopCluster } from '../src/shop-cluster.js';
import { paymentsConfigSchema } from '../src/shop-config.js';
import { shopKeys } from '../src/shop-keys.js';
import { orderIdFor } from '../src/stored-order.js';

const code = (promise: Promise<unknown>) =>
  promise.then(
    () => 'OK',
    (error: unknown) => (error instanceof ClientError ? Status[error.code] : String(error)),
  );

describe('shop services on real servers (two replicas each, one MemoryStore)', () => {
  const store = new MemoryStore();
  let cluster: ShopCluster;
  let clients: ShopClients;
  // Without retries: each call's own answer is what is checked.
  let inventory: ReturnType<typeof connect<typeof InventoryServiceDefinition>>;
  let payments: ReturnType<typeof connect<typeof PaymentServiceDefinition>>;

  beforeAll(async () => {
    await seedStock(store, { 'ANCHOR-01': 10, 'BUOY-02': 5 });
    cluster = await startEmbeddedCluster({ store });
    clients = connectShop(store);
    inventory = connect(InventoryServiceDefinition, { store, discover: 'inventory', retry: false });
    payments = connect(PaymentServiceDefinition, { store, discover: 'payments', retry: false });
  });
  afterAll(async () => {
    await disconnect(inventory);
    await disconnect(payments);
    await clients.close();
    await cluster.close();
  });

  it('never oversells: 25 concurrent reservations of one unit against 10 in stock, over both replicas', async () => {
    const answers = await Promise.all(
      Array.from({ length: 25 }, (_, i) =>
        code(inventory.reserve({ reservationId: `r-${i}`, sku: 'ANCHOR-01', quantity: 1 })),
      ),
    );
    expect(answers.filter((a) => a === 'OK')).toHaveLength(10);
    expect(answers.filter((a) => a === 'FAILED_PRECONDITION')).toHaveLength(15);
    expect(await inventory.getStock({ sku: 'ANCHOR-01' })).toMatchObject({ available: 0, reserved: 10 });
  });

  it('takes stock once per reservation id, and a released id cannot take it again', async () => {
    const same = await Promise.all(
      Array.from({ length: 6 }, () => inventory.reserve({ reservationId: 'once', sku: 'BUOY-02', quantity: 2 })),
    );
    expect(same.every((r) => r.remaining === 3)).toBe(true);
    expect(await code(inventory.reserve({ reservationId: 'once', sku: 'BUOY-02', quantity: 3 }))).toBe(
      'FAILED_PRECONDITION',
    );
    expect(await inventory.release({ reservationId: 'once' })).toEqual({ released: true });
    expect(await inventory.release({ reservationId: 'once' })).toEqual({ released: false });
    expect(await code(inventory.reserve({ reservationId: 'once', sku: 'BUOY-02', quantity: 2 }))).toBe(
      'FAILED_PRECONDITION',
    );
    // A release that arrives before its reserve leaves a tombstone: the late reserve takes nothing.
    expect(await inventory.release({ reservationId: 'early' })).toEqual({ released: false });
    expect(await code(inventory.reserve({ reservationId: 'early', sku: 'BUOY-02', quantity: 1 }))).toBe(
      'FAILED_PRECONDITION',
    );
    expect(await inventory.getStock({ sku: 'BUOY-02' })).toMatchObject({ available: 5, reserved: 0 });
  });

  it('answers bad input with INVALID_ARGUMENT and unknown SKUs with NOT_FOUND', async () => {
    expect(await code(inventory.reserve({ reservationId: '', sku: 'BUOY-02', quantity: 1 }))).toBe('INVALID_ARGUMENT');
    expect(await code(inventory.reserve({ reservationId: 'q', sku: 'BUOY-02', quantity: -1 }))).toBe(
      'INVALID_ARGUMENT',
    );
    expect(await code(inventory.getStock({ sku: 'NOPE' }))).toBe('NOT_FOUND');
    expect(await code(payments.charge({ paymentId: 'p', customerId: 'c', amountCents: 0 }))).toBe('INVALID_ARGUMENT');
  });

  it('charges once per payment id; the same id for another amount is refused', async () => {
    const charges = await Promise.all(
      Array.from({ length: 5 }, () => payments.charge({ paymentId: 'pay-1', customerId: 'c', amountCents: 500 })),
    );
    expect(charges.every((c) => c.payment?.captured)).toBe(true);
    expect((await store.range(shopKeys.payment('pay-1'))).kvs).toHaveLength(1);
    expect(await code(payments.charge({ paymentId: 'pay-1', customerId: 'c', amountCents: 700 }))).toBe(
      'FAILED_PRECONDITION',
    );
  });

  it('reads latency and failure rate from live config at run time', async () => {
    const live = new LiveConfig(store);
    await live.update(shopKeys.paymentsConfig, paymentsConfigSchema, () => ({
      latencyMs: 0,
      failureRate: 1,
      declineRate: 0,
    }));
    await expect
      .poll(() => code(payments.charge({ paymentId: `flaky-${Math.random()}`, customerId: 'c', amountCents: 1 })), {
        timeout: 10_000,
      })
      .toBe('UNAVAILABLE');
    await live.update(shopKeys.paymentsConfig, paymentsConfigSchema, () => ({
      latencyMs: 400,
      failureRate: 0,
      declineRate: 0,
    }));
    await expect
      .poll(
        async () => {
          const started = performance.now();
          await payments.charge({ paymentId: `slow-${Math.random()}`, customerId: 'c', amountCents: 1 });
          return performance.now() - started;
        },
        { timeout: 10_000 },
      )
      .toBeGreaterThanOrEqual(400);
    await live.update(shopKeys.paymentsConfig, paymentsConfigSchema, () => ({
      latencyMs: 0,
      failureRate: 0,
      declineRate: 0,
    }));
  });

  it('streams an order from pending to confirmed with WatchOrder', async () => {
    const live = new LiveConfig(store);
    await live.update(shopKeys.paymentsConfig, paymentsConfigSchema, () => ({
      latencyMs: 1500,
      failureRate: 0,
      declineRate: 0,
    }));
    const placing = clients.orders.placeOrder({
      idempotencyKey: 'watched',
      customerId: 'c',
      lines: [{ sku: 'BUOY-02', quantity: 1 }],
    });
    const id = orderIdFor('watched');
    await expect.poll(() => code(clients.orders.getOrder({ id })), { timeout: 10_000 }).toBe('OK');
    const statuses: OrderStatus[] = [];
    for await (const { order } of clients.orders.watchOrder({ id })) statuses.push(order!.status);
    expect(statuses[0]).toBe(OrderStatus.ORDER_STATUS_PENDING);
    expect(statuses.at(-1)).toBe(OrderStatus.ORDER_STATUS_CONFIRMED);
    expect((await placing).order?.status).toBe(OrderStatus.ORDER_STATUS_CONFIRMED);
    await live.update(shopKeys.paymentsConfig, paymentsConfigSchema, () => ({
      latencyMs: 0,
      failureRate: 0,
      declineRate: 0,
    }));
  });
});
